"""The parameter tree: one YAML file per parameter, with dated values, unit and source.

The format follows PolicyEngine/OpenFisca parameter files::

    description: Rural dibao standard ...
    values:
      2021-01-01: 4560
    metadata:
      unit: currency-CNY/person/year
      label: {zh: 农村低保标准, en: Rural dibao standard}
      reference: ["seed 004, 中卫市2022年百万移民致富提升行动实施方案 §二(四)4"]
      uncertainty: {distribution: uniform, low: 4000, high: 5000}   # only for assumptions
      min: 0

A value is a number, or a mapping from category to number (for example a share per county).
The parameter's path is its file path below ``sim/params`` with dots, without ``.yaml``.
"""
from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import InputError, InputErrors

PARAMS_DIR = Path(__file__).with_name("params")

UNITS = {
    "/1", "/month", "/year", "year", "month", "person", "household", "village", "job",
    "head", "mu", "person-time/year", "head/household", "mu/person", "person/household",
    "job/household", "household/year", "person/year", "currency-CNY", "currency-CNY/month", "currency-CNY/year",
    "currency-CNY/person/year", "currency-CNY/person/month", "currency-CNY/head",
    "currency-CNY/head/year", "currency-CNY/mu/year", "currency-CNY/household/year",
    "currency-CNY/village/year", "currency-CNY/event",
}
DISTRIBUTIONS = {"uniform": ("low", "high"), "normal": ("mean", "sd"),
                 "triangular": ("low", "mode", "high"), "lognormal": ("median", "sigma")}
UNCERTAINTY_KINDS = {"value", "factor"}
REQUIRED_KEYS = {"description", "values", "metadata"}
METADATA_KEYS = {"unit", "label", "reference", "uncertainty", "min", "max", "integer",
                 "assumption", "status", "calibrated", "note"}


def _as_date(key, file, path):
    if isinstance(key, dt.datetime):
        return key.date()
    if isinstance(key, dt.date):
        return key
    try:
        return dt.date.fromisoformat(str(key))
    except ValueError:
        raise InputError(file, f"{path}.values.{key}",
                         "a value's key must be the date it takes effect, YYYY-MM-DD") from None


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@dataclass(frozen=True)
class Parameter:
    """One parameter: dated values with unit, labels and source.

    Attributes
    ----------
    path : str
        Dotted path, e.g. ``transfers.dibao.standard``.
    values : tuple of (datetime.date, value)
        Sorted by date; a value holds from its date until the next one.
    """

    path: str
    description: str
    values: tuple
    metadata: dict = field(repr=False)
    file: str = ""

    @property
    def unit(self):
        return self.metadata["unit"]

    @property
    def categories(self):
        """The category keys of a mapping-valued parameter, or None."""
        first = self.values[0][1]
        return tuple(first) if isinstance(first, dict) else None

    def at(self, date):
        """The value in effect on ``date`` (a ``datetime.date``)."""
        dates = [d for d, _ in self.values]
        i = bisect.bisect_right(dates, date) - 1
        if i < 0:
            raise KeyError(f"{self.path} has no value before {date}")
        return self.values[i][1]

    def check_value(self, value, file, key):
        """Raise InputError unless ``value`` fits this parameter's type and bounds."""
        cats = self.categories
        if cats is not None:
            if not isinstance(value, dict) or set(value) != set(cats):
                raise InputError(file, key, f"must map each of {sorted(cats)} to a number")
            for c, v in value.items():
                self._check_number(v, file, f"{key}.{c}")
        else:
            self._check_number(value, file, key)

    def _check_number(self, v, file, key):
        md = self.metadata
        if not _is_number(v):
            raise InputError(file, key, f"must be a number in {self.unit}, got {v!r}")
        if md.get("integer") and float(v) != int(v):
            raise InputError(file, key, f"must be a whole number ({self.unit}), got {v!r}")
        lo, hi = md.get("min"), md.get("max")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise InputError(file, key, f"{v!r} is outside the allowed range "
                             f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
                             f" ({self.unit})")


def _check_uncertainty(param, file):
    unc = param.metadata.get("uncertainty")
    if unc is None:
        return
    dist = unc.get("distribution") if isinstance(unc, dict) else None
    if dist not in DISTRIBUTIONS or set(unc) - {"distribution", "kind", "applies_to"} != set(DISTRIBUTIONS[dist]):
        raise InputError(file, "metadata.uncertainty", "must be one of " + ", ".join(
            f"{k}({', '.join(a)})" for k, a in DISTRIBUTIONS.items()) + ", with optional kind and applies_to")
    if unc.get("applies_to", "all") not in {"all", "base"}:
        raise InputError(file, "metadata.uncertainty.applies_to", "must be 'all' (every value, also a "
                         "scenario's) or 'base' (only this file's values: the uncertainty is about the "
                         "2021 level, not about a package's choice)")
    if unc.get("kind", "value") not in UNCERTAINTY_KINDS:
        raise InputError(file, "metadata.uncertainty.kind", f"must be one of {sorted(UNCERTAINTY_KINDS)}: "
                         "'value' draws the value (a shift of every dated value), 'factor' a common multiplier")
    if param.categories is not None and unc.get("kind") != "factor":
        raise InputError(file, "metadata.uncertainty.kind", "a mapping-valued parameter's uncertainty "
                         "must be kind: factor (a common multiplier on every category)")


def _parse_values(raw, file, path):
    if not isinstance(raw, dict) or not raw:
        raise InputError(file, f"{path}.values", "must map effective dates to values")
    return tuple(sorted((_as_date(k, file, path), v) for k, v in raw.items()))


def load_parameter(file, path):
    """Read and check one parameter file."""
    try:
        with open(file, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except yaml.YAMLError as e:
        raise InputError(file, path, f"not valid YAML: {e}") from None
    if not isinstance(doc, dict) or not REQUIRED_KEYS <= set(doc):
        raise InputError(file, path, f"a parameter file needs the keys {sorted(REQUIRED_KEYS)}")
    md = doc["metadata"]
    unknown = set(md) - METADATA_KEYS
    if unknown:
        raise InputError(file, f"metadata.{sorted(unknown)[0]}",
                         f"unknown metadata key; allowed: {sorted(METADATA_KEYS)}")
    if md.get("unit") not in UNITS:
        raise InputError(file, "metadata.unit", f"{md.get('unit')!r} is not a known unit; "
                         f"allowed: {sorted(UNITS)}")
    label = md.get("label") or {}
    if not (label.get("zh") and label.get("en")):
        raise InputError(file, "metadata.label", "needs both zh and en labels")
    if not md.get("reference") and not md.get("assumption"):
        raise InputError(file, "metadata.reference",
                         "cite a source, or set assumption: true with an uncertainty")
    if md.get("assumption") and "uncertainty" not in md:
        raise InputError(file, "metadata.uncertainty",
                         "an assumption states its uncertainty (or null, saying why in note)")
    param = Parameter(path, doc["description"], _parse_values(doc["values"], file, path), md,
                      str(file))
    _check_uncertainty(param, file)
    for d, v in param.values:
        param.check_value(v, file, f"values.{d}")
    return param


class ParameterTree:
    """All parameters, by dotted path; ``at(date)`` gives the values in effect on a date."""

    def __init__(self, parameters):
        self.parameters = dict(parameters)

    @classmethod
    def load(cls, directory=PARAMS_DIR):
        """Load every ``*.yaml`` below ``directory``; all problems are reported together."""
        directory = Path(directory)
        params, errors = {}, []
        for file in sorted(directory.rglob("*.yaml")):
            path = ".".join(file.relative_to(directory).with_suffix("").parts)
            try:
                params[path] = load_parameter(file, path)
            except InputError as e:
                errors.append(e)
        if errors:
            raise InputErrors(errors)
        return cls(params)

    def __getitem__(self, path):
        return self.parameters[path]

    def __contains__(self, path):
        return path in self.parameters

    def __iter__(self):
        return iter(sorted(self.parameters))

    def with_values(self, overrides):
        """A new tree where ``overrides[path] = {date: value}`` replace values from each date on.

        A value overridden from date d replaces the base values dated on or after d; base values
        before d stay in force until d.
        """
        params = dict(self.parameters)
        for path, dated in overrides.items():
            p = params[path]
            first = min(dated)
            kept = [(d, v) for d, v in p.values if d < first]
            params[path] = Parameter(p.path, p.description,
                                     tuple(sorted(kept + list(dated.items()))), p.metadata, p.file)
        return ParameterTree(params)

    def at(self, date):
        """A nested, attribute-access snapshot of every value in effect on ``date``.

        Snapshots are cached by the latest change date on or before ``date``: between two
        changes every date sees the same values. Treat a snapshot as read-only.
        """
        if not hasattr(self, "_changes"):
            self._changes = sorted({d for p in self.parameters.values() for d, _ in p.values})
            self._snapshots = {}
        epoch = bisect.bisect_right(self._changes, date)
        if epoch not in self._snapshots:
            self._snapshots[epoch] = self._snapshot(date)
        return self._snapshots[epoch]

    def _snapshot(self, date):
        root = Snapshot()
        for path, p in self.parameters.items():
            node = root
            *branches, leaf = path.split(".")
            for b in branches:
                node = node.setdefault(b, Snapshot())
            node[leaf] = p.at(date)
        return root

    def table(self):
        """Every parameter's dated values with unit, labels and source, as plain records."""
        rows = []
        for path in self:
            p = self.parameters[path]
            ref = p.metadata.get("reference") or []
            for d, v in p.values:
                rows.append({"parameter": path, "date": d.isoformat(), "value": v,
                             "unit": p.unit, "label_zh": p.metadata["label"]["zh"],
                             "label_en": p.metadata["label"]["en"],
                             "reference": "; ".join(ref if isinstance(ref, list) else [ref]),
                             "assumption": bool(p.metadata.get("assumption"))})
        return rows


    def markdown(self):
        """Every parameter as a Markdown table: path, value(s), unit, labels, source or assumption."""
        lines = ["| parameter | values | unit | 中文 / English | source | uncertainty |",
                 "|---|---|---|---|---|---|"]
        for path in self:
            p = self.parameters[path]
            md = p.metadata
            values = "; ".join(f"{d:%Y-%m}: {_fmt(v)}" for d, v in p.values)
            source = "<br>".join(md.get("reference") or []) or "assumption"
            if md.get("note"):
                source += f"<br>*{md['note']}*"
            unc = md.get("uncertainty")
            unc = "—" if not unc else unc["distribution"] + "(" + ", ".join(
                f"{k}={v}" for k, v in unc.items() if k != "distribution") + ")"
            lines.append(f"| `{path}` | {values} | {p.unit} | {md['label']['zh']} / {md['label']['en']}"
                         f" | {source.replace('|', '/')} | {unc} |")
        return "\n".join(lines) + "\n"


def _fmt(v):
    return ", ".join(f"{k} {x}" for k, x in v.items()) if isinstance(v, dict) else str(v)


class Snapshot(dict):
    """Parameter values on one date, readable as ``snap.transfers.dibao.standard``.

    The instance's attribute dictionary is the mapping itself, so ``snap.labour`` is a plain
    attribute read (the engine reads a few hundred a month); no parameter is named like a dict
    method (a test checks).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__ = self

    def __reduce__(self):
        return (Snapshot, (dict(self),))
