"""The tables charts draw from: an ensemble directory read back, and a comparison's inputs."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..runner import CSV_ENCODING
from ..scenario import FIRST_MONTH, LAST_MONTH
from .style import note

STUDY_YEARS = tuple(range(FIRST_MONTH.year, LAST_MONTH.year + 1))
COMPONENTS = ("wages", "operating", "property", "transfers")
TOTAL = "disposable"
ALL_MIGRANTS = ("all", "all")  # income_yearly group, subgroup


@dataclass(frozen=True)
class Label:
    """A package's name in Chinese and English (hashable, so it can key the dicts of runs)."""

    zh: str
    en: str

    def __str__(self):
        return self.en


@dataclass
class Ensemble:
    """The tables of one ensemble directory (see ``load_ensemble``)."""

    label: Label
    income: pd.DataFrame
    households: pd.DataFrame
    fiscal: pd.DataFrame
    targets: pd.DataFrame | None
    record: dict


def load_ensemble(directory):
    """Read an ensemble directory written by ``sim run ... --replications R``.

    Parameters
    ----------
    directory : str or Path
        Holds ``income_yearly.csv``, ``households_yearly.csv``, ``fiscal_yearly.csv``,
        ``run.json`` and, once ``sim targets`` has run, ``targets.csv``.

    Returns
    -------
    Ensemble
        ``label`` from the scenario's zh/en label in ``run.json``; ``targets`` is None when
        ``targets.csv`` is absent.
    """
    directory = Path(directory)
    record = json.loads((directory / "run.json").read_text(encoding="utf-8"))
    scenario = record.get("scenario", {})
    name = scenario.get("name", directory.name)
    text = scenario.get("label") or {}
    label = Label(text.get("zh", name), text.get("en", name))

    def read(stem):
        return pd.read_csv(directory / f"{stem}.csv", encoding=CSV_ENCODING)

    targets = read("targets") if (directory / "targets.csv").is_file() else None
    return Ensemble(label, read("income_yearly"), read("households_yearly"), read("fiscal_yearly"),
                    targets, record)


@dataclass
class ChartInputs:
    """Everything the registered charts draw from (``sim.charts.render_all``).

    Attributes
    ----------
    ensembles : list of Ensemble
        The packages, the reference (baseline) first.
    comparison : pandas.DataFrame, optional
        ``comparison.csv`` of ``sim compare`` (one row per package).
    forecasts : dict, optional
        Comparator forecasts, as ``sim.forecast.fit_all`` returns them.
    sensitivity : pandas.DataFrame, optional
        A ``sensitivity.csv`` table (``sim sensitivity``).
    discovery : pandas.DataFrame, optional
        A PRIM peeling trajectory (``sim.discovery.discover``).
    """

    ensembles: list = field(default_factory=list)
    comparison: pd.DataFrame | None = None
    forecasts: dict | None = None
    sensitivity: pd.DataFrame | None = None
    discovery: pd.DataFrame | None = None

    @property
    def runs(self):
        """Package label -> ``income_yearly`` table."""
        return {e.label: e.income for e in self.ensembles}

    @property
    def households(self):
        """Package label -> ``households_yearly`` table."""
        return {e.label: e.households for e in self.ensembles}

    @property
    def targets(self):
        """Package label -> ``targets.csv`` table, for the packages that have one."""
        return {e.label: e.targets for e in self.ensembles if e.targets is not None}


def load_comparison(compare_dir, forecasts=None):
    """The chart inputs of a comparison directory written by ``sim compare``.

    Parameters
    ----------
    compare_dir : str or Path
        Holds ``run.json`` (naming each package's ensemble directory) and ``comparison.csv``.
    forecasts : dict, optional
        Comparator forecasts to draw beside the packages.
    """
    compare_dir = Path(compare_dir)
    record = json.loads((compare_dir / "run.json").read_text(encoding="utf-8"))
    comparison = pd.read_csv(compare_dir / "comparison.csv", encoding=CSV_ENCODING)
    return ChartInputs([load_ensemble(d) for d in record["ensembles"].values()], comparison,
                       forecasts)


def select(df, notes, pkg, L, what, **equal):
    """Rows of ``df`` where each column equals its value; a note if there are none."""
    if df is None or df.empty:
        note(notes, L["missing_package"].format(pkg=pkg))
        return None
    mask = np.ones(len(df), bool)
    for column, value in equal.items():
        mask &= (df[column] == value).to_numpy()
    if not mask.any():
        note(notes, L["missing_indicator"].format(pkg=pkg, what=what))
        return None
    return df[mask]


def tidy_frame(frames, first=("series", "label", "kind")):
    """The frames drawn, concatenated, with ``first`` as the leading columns."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=list(first))
    data = pd.concat(frames, ignore_index=True)
    return data[list(first) + [c for c in data.columns if c not in first]]
