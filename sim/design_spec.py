"""Design specs: which package to start from, the levers to vary and the targets to reach.

A spec (``scenarios/design/*.yaml``)::

    name: employment_t1                  # used in result folder names
    start: ../employment.yaml            # the package to start from, relative to this file
    baseline: ../baseline.yaml           # optional; default: baseline.yaml beside the start package
    levers:                              # parameter paths, each a constant value from a date on
      labour.public_posts: {low: 500, high: 4000}              # from 2022-01-01 unless 'from'
      transfers.dibao.standard: {low: 4560, high: 7000, from: 2022-01-01}
    constraints:                         # P(target) >= probability, each in (0, 1)
      T1: 0.8
      T2: 0.8
    search: {trials: 40, replications: 20, households: 3000, seed: 0, bisections: 12}
    recheck: {replications: 200, households: 50000, seed: 1, candidates: 2}

Every problem is an :class:`~sim.errors.InputError` naming the file and the key; the spec is
checked whole (ranges against each parameter's unit, type and bounds) before anything runs.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import InputError, InputErrors
from .parameters import ParameterTree
from .scenario import _date, _suggest, load_scenario
from .targets import TARGETS

TOP_KEYS = {"name", "label", "description", "start", "baseline", "levers", "constraints", "search", "recheck"}
LEVER_KEYS = {"low", "high", "from"}
TARGET_KEYS = tuple(f.__name__.upper() for f in TARGETS)  # "T1" ... "T7"
DEFAULT_FROM = dt.date(2022, 1, 1)  # the packages' levers all start in January 2022 (seed 004)
NAME = re.compile(r"^[A-Za-z0-9_-]{1,60}$")
MAX_LEVERS = 12  # TPE with more than a dozen dimensions needs far more trials than a study affords
# Search and re-check settings: (default, smallest, largest). Defaults: a modest search (each trial
# a 20-replication ensemble of 3,000 households) and a re-check at Zhongwei's scale.
# bisections: at most this many halvings per lever when refining the cheapest feasible package.
SEARCH = {"trials": (40, 1, 2000), "replications": (20, 2, 2000), "households": (3000, 100, 300_000),
          "seed": (0, 0, 2**31 - 1), "bisections": (12, 0, 30)}
RECHECK = {"replications": (200, 2, 5000), "households": (50_000, 100, 300_000), "seed": (1, 0, 2**31 - 1),
           "candidates": (2, 1, 10)}


@dataclass(frozen=True)
class Lever:
    """One lever: a parameter set to a constant value from ``start`` on, within [low, high]."""

    path: str
    low: float
    high: float
    start: dt.date
    integer: bool
    unit: str

    def override(self, value):
        """The scenario override ``{date: value}`` for ``value`` (rounded if whole)."""
        return {self.start: int(round(value)) if self.integer else float(value)}


@dataclass(frozen=True)
class DesignSpec:
    """A validated design spec."""

    file: Path
    name: str
    label: dict
    start: Path
    baseline: Path
    levers: tuple
    constraints: dict   # target key -> least probability
    search: dict
    recheck: dict

    def record(self):
        """A JSON-ready form, for the resumable search to check it is the same spec."""
        return {"file": str(self.file), "name": self.name, "start": str(self.start),
                "baseline": str(self.baseline), "constraints": self.constraints,
                "levers": [[lv.path, lv.low, lv.high, lv.start.isoformat()] for lv in self.levers],
                "search": self.search, "recheck": self.recheck}


def _number(v):
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an int too large for a float
        return False


def _read(file):
    try:
        with open(file, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(file, "(file)", f"cannot read the spec: {e}") from None
    except yaml.YAMLError as e:
        raise InputError(file, "(syntax)", f"not valid YAML: {e}") from None
    except RecursionError:
        raise InputError(file, "(syntax)", "nested too deeply") from None
    if not isinstance(doc, dict):
        raise InputError(file, "(top)", "a design spec is a mapping with keys " + ", ".join(sorted(TOP_KEYS)))
    bad = sorted((k for k in doc if k not in TOP_KEYS), key=str)
    if bad:
        raise InputError(file, str(bad[0]), f"unknown key{_suggest(bad[0], TOP_KEYS)} "
                         f"(allowed: {', '.join(sorted(TOP_KEYS))})")
    return doc


def _scenario_file(file, doc, key, tree, default=None):
    value = doc.get(key, default)
    if not isinstance(value, (str, Path)) or not str(value).strip():
        raise InputError(file, key, "give the path of a scenario file, relative to this spec")
    path = file.parent / str(value)
    if not path.is_file() or path.suffix != ".yaml":
        raise InputError(file, key, f"{value!r}: no such scenario file (a .yaml next to this spec)")
    try:
        load_scenario(path, tree)
    except (InputError, InputErrors) as e:
        raise InputError(file, key, f"the package {value!r} does not load: {e}") from None
    return path.resolve()


def _lever(file, path, spec, tree):
    key = f"levers.{path}"
    if not isinstance(path, str) or path not in tree:
        raise InputError(file, key, f"unknown lever: not a parameter path{_suggest(path, set(tree))}")
    p = tree[path]
    if p.categories is not None:
        raise InputError(file, key, "a parameter with a value per category cannot be a lever here")
    if not isinstance(spec, dict) or not {"low", "high"} <= set(spec):
        raise InputError(file, key, f"give the range in {p.unit}: {{low: ..., high: ...}}")
    bad = sorted((k for k in spec if k not in LEVER_KEYS), key=str)
    if bad:
        raise InputError(file, f"{key}.{bad[0]}", f"unknown key (allowed: {', '.join(sorted(LEVER_KEYS))})")
    for end in ("low", "high"):
        if not _number(spec[end]):
            raise InputError(file, f"{key}.{end}", f"must be a finite number in {p.unit}, got {spec[end]!r}")
        p.check_value(spec[end], file, f"{key}.{end}")
    if not spec["low"] < spec["high"]:
        raise InputError(file, key, f"low ({spec['low']}) must be below high ({spec['high']})")
    start = _date(spec.get("from", DEFAULT_FROM), file, f"{key}.from")
    whole = bool(p.metadata.get("integer"))
    kind = int if whole else float
    return Lever(path, kind(spec["low"]), kind(spec["high"]), start, whole, p.unit)


def _levers(file, doc, tree):
    levers = doc.get("levers")
    if not isinstance(levers, dict) or not levers:
        raise InputError(file, "levers", "map parameter paths to ranges, e.g. "
                         "labour.public_posts: {low: 500, high: 4000}")
    if len(levers) > MAX_LEVERS:
        raise InputError(file, "levers", f"{len(levers)} levers; at most {MAX_LEVERS}")
    return tuple(_lever(file, path, spec, tree) for path, spec in levers.items())


def _constraints(file, doc):
    given = doc.get("constraints")
    if not isinstance(given, dict) or not given:
        raise InputError(file, "constraints", "map targets to the least probability, e.g. {T1: 0.8}")
    out = {}
    for target, p in given.items():
        if target not in TARGET_KEYS:
            raise InputError(file, f"constraints.{target}", f"no such target{_suggest(target, TARGET_KEYS)} "
                             f"(targets: {', '.join(TARGET_KEYS)})")
        if not _number(p) or not 0 < p < 1:
            raise InputError(file, f"constraints.{target}", f"a probability strictly between 0 and 1, got {p!r}")
        out[target] = float(p)
    return out


def _settings(file, doc, section, allowed):
    given = doc.get(section) or {}
    if not isinstance(given, dict):
        raise InputError(file, section, f"must be a mapping with {', '.join(allowed)}")
    out = {}
    for key, (default, low, high) in allowed.items():
        v = given.get(key, default)
        if not (isinstance(v, int) and not isinstance(v, bool) and low <= v <= high):
            raise InputError(file, f"{section}.{key}", f"a whole number from {low:,} to {high:,}, got {v!r}")
        out[key] = v
    bad = sorted((k for k in given if k not in allowed), key=str)
    if bad:
        raise InputError(file, f"{section}.{bad[0]}", f"unknown key (allowed: {', '.join(allowed)})")
    return out


def _text(file, doc):
    name = doc.get("name", file.stem)
    if not isinstance(name, str) or not NAME.match(name):
        raise InputError(file, "name", "letters, digits, _ and - only (at most 60), used in folder names")
    label = doc.get("label") or {"zh": name, "en": name}
    if not (isinstance(label, dict) and all(isinstance(label.get(k), str) for k in ("zh", "en"))):
        raise InputError(file, "label", "give {zh: ..., en: ...}")
    return name, {"zh": label["zh"], "en": label["en"]}


def scaled(spec, **settings):
    """``spec`` with search or re-check settings replaced, checked against the same bounds.

    Keys are ``search_<name>`` or ``recheck_<name>``, e.g. ``scaled(spec, search_trials=4)``.
    """
    search, recheck = dict(spec.search), dict(spec.recheck)
    for key, value in settings.items():
        section, _, name = key.partition("_")
        target, allowed = {"search": (search, SEARCH), "recheck": (recheck, RECHECK)}.get(section, (None, {}))
        if name not in allowed:
            raise InputError(spec.file, key, "not a search_ or recheck_ setting")
        target[name] = value
    doc = {"search": search, "recheck": recheck}
    return dataclasses.replace(spec, search=_settings(spec.file, doc, "search", SEARCH),
                               recheck=_settings(spec.file, doc, "recheck", RECHECK))


def load_spec(file, tree=None):
    """Read and check a design spec.

    Parameters
    ----------
    file : str or Path
    tree : ParameterTree, optional
        Base parameters; by default the package's ``sim/params``.

    Returns
    -------
    DesignSpec

    Raises
    ------
    InputError
        The first problem found, naming the file and the key.
    """
    file = Path(file)
    tree = tree or ParameterTree.load()
    doc = _read(file)
    name, label = _text(file, doc)
    levers = _levers(file, doc, tree)
    constraints = _constraints(file, doc)
    search, recheck = _settings(file, doc, "search", SEARCH), _settings(file, doc, "recheck", RECHECK)
    if recheck["seed"] == search["seed"]:
        raise InputError(file, "recheck.seed", f"must differ from search.seed ({search['seed']}): the "
                         "re-check uses fresh random numbers, so the winner is not the lucky best of the search")
    start = _scenario_file(file, doc, "start", tree)
    default_baseline = Path(str(doc.get("start"))).parent / "baseline.yaml"
    baseline = _scenario_file(file, doc, "baseline", tree, str(default_baseline))
    return DesignSpec(file.resolve(), name, label, start, baseline, levers, constraints, search, recheck)
