"""Scenarios: load a YAML package, apply ``extends``, validate strictly, resolve parameters.

A scenario file::

    name: employment
    label: {zh: 就业帮扶包, en: Employment package}
    description: ...
    extends: baseline.yaml            # optional, relative to this file; or a list, applied in order
    period: {start: 2021-01, end: 2025-12}
    population: {households: 50000}
    parameters:
      labour.public_posts:            # short form: dated values
        2022-01-01: 600
      transfers.dibao.standard:       # long form: unit stated, checked against the parameter's
        unit: currency-CNY/person/year
        values: {2022-01-01: 5520}

Every problem is an :class:`~sim.errors.InputError` naming the file, the key and what is allowed;
all problems of a file are reported together, before anything runs.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import InputError, InputErrors
from .parameters import ParameterTree

TOP_KEYS = {"name", "label", "description", "extends", "period", "population", "parameters"}
STRESS_KEYS = {"name", "label", "description", "parameters"}
PERIOD_KEYS = {"start", "end"}
POPULATION_KEYS = {"households"}
OVERRIDE_KEYS = {"unit", "values"}
FIRST_MONTH, LAST_MONTH = dt.date(2021, 1, 1), dt.date(2025, 12, 1)
DEFAULT_HOUSEHOLDS = 50_000


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: its parameter tree with overrides applied, period and population.

    Attributes
    ----------
    start, end : datetime.date
        First and last simulated month (first day of month), within 2021-01 to 2025-12.
    households : int
        Default number of simulated households.
    parameters : ParameterTree
        Base parameters with every override of the ``extends`` chain applied, root first.
    base_parameters : ParameterTree
        The parameter files as they are, without the scenario's overrides.
    overrides : dict
        ``{path: {date: value}}`` merged over the chain, for the record.
    chain : tuple of str
        The files read, this scenario's first.
    """

    name: str
    label: dict
    description: str
    start: dt.date
    end: dt.date
    households: int
    parameters: ParameterTree = field(repr=False)
    base_parameters: ParameterTree = field(repr=False)
    overrides: dict = field(repr=False)
    chain: tuple = ()

    def months(self):
        """Every simulated month as the date of its first day."""
        out, d = [], self.start
        while d <= self.end:
            out.append(d)
            d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
        return out

    def to_record(self):
        """A JSON-ready description: identity, period and every override applied."""
        return {"name": self.name, "label": self.label, "description": self.description,
                "chain": list(self.chain), "start": self.start.isoformat()[:7],
                "end": self.end.isoformat()[:7], "households": self.households,
                "overrides": {p: {d.isoformat(): v for d, v in sorted(vals.items())}
                              for p, vals in sorted(self.overrides.items())}}


def _suggest(key, allowed):
    close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def _unknown(file, where, key, allowed):
    key = key if isinstance(key, str) and key.strip() else repr(key)  # an empty key still shows
    return InputError(file, f"{where}{key}", f"unknown key{_suggest(key, allowed)} "
                      f"(allowed: {', '.join(sorted(allowed))})" if len(allowed) < 12 else
                      f"unknown parameter{_suggest(key, allowed)}")


def _month(value, file, key):
    text = value.isoformat()[:7] if isinstance(value, dt.date) else str(value)
    try:
        d = dt.date.fromisoformat(text + "-01")
    except ValueError:
        raise InputError(file, key, f"must be a month YYYY-MM, got {value!r}") from None
    if not FIRST_MONTH <= d <= LAST_MONTH:
        raise InputError(file, key, f"{text} is outside the study period 2021-01 to 2025-12")
    return d


def _date(value, file, key):
    try:
        d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(file, key, f"must be a date YYYY-MM-DD, got {value!r}") from None
    if not dt.date(2021, 1, 1) <= d <= dt.date(2025, 12, 31):
        raise InputError(file, key, f"{d} is outside the study period 2021-01-01 to 2025-12-31")
    return d


def _finite(value, file, key):
    """NaN and infinities pass the parameters' range checks (every comparison is False): refuse them."""
    for v in value.values() if isinstance(value, dict) else [value]:
        if isinstance(v, float) and not math.isfinite(v):
            raise InputError(file, key, f"must be a finite number, got {v!r}")


def _read(file):
    try:
        with open(file, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except FileNotFoundError:
        raise InputError(file, "extends", "file not found") from None
    except UnicodeDecodeError as e:
        raise InputError(file, "(encoding)", f"not UTF-8 text (byte {e.start}): save the file as UTF-8") from None
    except yaml.YAMLError as e:
        raise InputError(file, "(syntax)", f"not valid YAML: {e}") from None
    if not isinstance(doc, dict):
        raise InputError(file, "(top)", "a scenario is a mapping with keys " + ", ".join(sorted(TOP_KEYS)))
    return doc


def _overrides(doc, file, tree, errors):
    out = {}
    params = doc.get("parameters") or {}
    if not isinstance(params, dict):
        errors.append(InputError(file, "parameters", "must map parameter paths to dated values"))
        return out
    for path, spec in params.items():
        key = f"parameters.{path}"
        if path not in tree:
            errors.append(_unknown(file, "parameters.", path, set(tree)))
            continue
        p = tree[path]
        if isinstance(spec, dict) and set(spec) & OVERRIDE_KEYS:
            bad = set(spec) - OVERRIDE_KEYS
            if bad:
                errors.append(_unknown(file, f"{key}.", sorted(bad)[0], OVERRIDE_KEYS))
                continue
            if "unit" in spec and spec["unit"] != p.unit:
                errors.append(InputError(file, f"{key}.unit",
                                         f"wrong unit {spec['unit']!r}; this parameter is in {p.unit}"))
                continue
            spec = spec.get("values")
        if not isinstance(spec, dict) or not spec:
            errors.append(InputError(file, key, "give dated values, e.g. {2022-01-01: value}"))
            continue
        dated = {}
        for d, v in spec.items():
            try:
                date = _date(d, file, f"{key}.{d}")
                _finite(v, file, f"{key}.{d}")
                p.check_value(v, file, f"{key}.{d}")
                dated[date] = v
            except InputError as e:
                errors.append(e)
        if dated:
            out[path] = dated
    return out


def _load_chain(file, tree, seen):
    """Read ``file`` and its ``extends`` ancestors; return (docs root-first, overrides root-first)."""
    file = Path(file).resolve()
    if file in seen:
        raise InputError(file, "extends", "circular extends chain: " +
                         " -> ".join(p.name for p in [*seen, file]))
    doc = _read(file)
    errors = [_unknown(file, "", k, TOP_KEYS) for k in doc if k not in TOP_KEYS]
    parents = []
    extends = doc.get("extends") or []
    for name in extends if isinstance(extends, list) else [extends]:
        if not isinstance(name, str):
            errors.append(InputError(file, "extends", f"must be a file name or a list of file names, got {name!r}"))
            continue
        parent = file.parent / name
        try:
            found = parent.is_file()
        except (OSError, ValueError) as e:  # a name too long for the file system, or with a NUL byte
            errors.append(InputError(file, "extends", f"{name!r} is not a usable file name ({e})"))
            continue
        if not found:
            errors.append(InputError(file, "extends", f"{name!r} not found next to this file"))
            continue
        for link in _load_chain(parent, tree, [*seen, file]):
            if link[0] not in [p[0] for p in parents]:  # a shared ancestor is applied once
                parents.append(link)
    overrides = _overrides(doc, file, tree, errors)
    if errors:
        raise InputErrors(errors)
    return [*parents, (file, doc, overrides)]


def _period_and_population(chain, errors):
    period, population = {}, {}
    for file, doc, _ in chain:
        for section, allowed, target in (("period", PERIOD_KEYS, period),
                                         ("population", POPULATION_KEYS, population)):
            block = doc.get(section) or {}
            if not isinstance(block, dict):
                errors.append(InputError(file, section, f"must be a mapping with {sorted(allowed)}"))
                continue
            for k, v in block.items():
                if k not in allowed:
                    errors.append(_unknown(file, f"{section}.", k, allowed))
                else:
                    target[k] = (file, v)
    start = end = households = None
    try:
        start = _month(period["start"][1], period["start"][0], "period.start") if "start" in period else FIRST_MONTH
        end = _month(period["end"][1], period["end"][0], "period.end") if "end" in period else LAST_MONTH
        if start.month != 1 or end.month != 12:
            raise InputError(period.get("start", period.get("end", (chain[-1][0],)))[0], "period",
                             "must run from a January to a December: yearly tables need whole years")
        if start > end:
            raise InputError(period.get("end", (chain[-1][0],))[0], "period", "start is after end")
        households = DEFAULT_HOUSEHOLDS
        if "households" in population:
            f, v = population["households"]
            if not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
                raise InputError(f, "population.households", f"must be a whole number > 0, got {v!r}")
            households = v
    except InputError as e:
        errors.append(e)
    return start, end, households


def _stress_chain(stress, tree):
    """The links of a stress scenario: it may only name itself and override parameters."""
    chain = _load_chain(stress, tree, [])
    file, doc, _ = chain[-1]
    extra = set(doc) - STRESS_KEYS
    if extra:
        raise InputErrors([InputError(file, sorted(extra)[0], "a stress only overrides parameters "
                                      f"(allowed: {', '.join(sorted(STRESS_KEYS))})")])
    return chain


def load_scenario(file, tree=None, stress=None):
    """Load, inherit, validate and resolve a scenario file.

    Parameters
    ----------
    file : str or Path
        The scenario YAML.
    tree : ParameterTree, optional
        Base parameters; by default the package's ``sim/params``.
    stress : str or Path, optional
        A stress scenario (``scenarios/stress/*.yaml``) whose parameter overrides are applied
        last, on top of the package: any package can be run under any stress.

    Returns
    -------
    Scenario

    Raises
    ------
    InputErrors
        Every problem found in the file and its ``extends`` chain.
    """
    tree = tree or ParameterTree.load()
    try:
        chain = _load_chain(file, tree, [])
    except InputError as e:
        raise InputErrors([e]) from None
    errors = []
    start, end, households = _period_and_population(chain, errors)
    if errors:
        raise InputErrors(errors)
    name_doc = dict(chain[-1][1])
    if stress is not None:
        links = _stress_chain(stress, tree)
        chain += [link for link in links if link[0] not in [c[0] for c in chain]]
        s_doc = links[-1][1]
        name_doc["name"] = f"{name_doc.get('name') or Path(file).stem}+{s_doc.get('name') or Path(stress).stem}"
        name_doc["label"] = {k: f"{(name_doc.get('label') or {}).get(k, '')} + {(s_doc.get('label') or {}).get(k, '')}"
                             for k in ("zh", "en")}
    merged = {}
    for _, _, overrides in chain:
        for path, dated in overrides.items():
            first = min(dated)
            kept = {d: v for d, v in merged.get(path, {}).items() if d < first}
            merged[path] = {**kept, **dated}
    doc = name_doc
    return Scenario(name=str(doc.get("name") or Path(file).stem), label=doc.get("label") or {},
                    description=str(doc.get("description") or ""), start=start, end=end,
                    households=households, parameters=tree.with_values(merged), base_parameters=tree,
                    overrides=merged,
                    chain=tuple(str(f) for f, _, _ in reversed(chain)))


def recorded_overrides(record):
    """A run's scenario overrides as ``run.json`` records them (``{path: {"YYYY-MM-DD": value}}``), dated."""
    return {p: {dt.date.fromisoformat(d): v for d, v in vals.items()}
            for p, vals in record["scenario"].get("overrides", {}).items()}
