"""Scoring as-of forecasts, and the ensemble's migrant incomes, against realized statistics."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import storage
from .charts.realized import evaluate_chart
from .charts.style import save
from .errors import InputError
from .forecast import ALPHA, ALPHA_WIDE, fit_all, load_series, output
from .forecast.series import _tidy, read_table
from .runner import CSV_ENCODING, free_name

REALIZED_COLUMNS = ("area", "group", "year", "value_yuan", "source")
EVALUATE_COLUMNS = ["series", "year", "realized", "mean", "lo80", "hi80", "lo95", "hi95",
                    "inside80", "inside95", "pit"]
MIGRANT = "zhongwei_migrant"   # realized migrant incomes score the ensemble's all-migrant income
FAR_PIT = 0.01                 # a PIT beyond [0.01, 0.99] is flagged as far outside the forecast


def load_realized(path):
    """Read and check a realized-figures file (columns of ``sim/data/income_series.csv``).

    Raises
    ------
    sim.errors.InputError
        Naming the file, row and column, as ``sim.forecast.load_series`` does.
    """
    df = _tidy(read_table(path), path, REALIZED_COLUMNS)
    return df.assign(series=df["area"] + "_" + df["group"])


def forecast_rows(directory=None, as_of=None):
    """The forecasts to score: ``directory/forecasts/forecasts.csv`` when present (a comparison
    directory), else the shipped series fitted as of ``as_of`` (default 2021)."""
    table = Path(directory or "") / "forecasts" / "forecasts.csv"
    if directory is not None and table.is_file():
        return pd.read_csv(table, encoding=CSV_ENCODING)
    return output.forecast_table(fit_all(load_series(), as_of=as_of))


def ensemble_dirs(directory):
    """The ensemble directories ``directory`` holds: itself, or a comparison's ensembles."""
    if directory is None:
        return []
    directory = Path(directory)
    record = json.loads((directory / "run.json").read_text(encoding="utf-8")) \
        if (directory / "run.json").is_file() else {}
    if "ensembles" in record:
        return [Path(p) for p in record["ensembles"].values()]
    return [directory] if "replications" in record else []


def migrant_rows(run_dir):
    """The ensemble's all-migrant disposable income as forecast rows (quantiles over replications)."""
    inc = pd.read_csv(Path(run_dir) / "income_yearly.csv", encoding=CSV_ENCODING)
    sel = inc[(inc["group"] == "all") & (inc["subgroup"] == "all") & (inc["component"] == "disposable")]
    g = sel.groupby("year")["yuan_per_person"]
    q = {p: g.quantile(p) for p in (ALPHA_WIDE / 2, ALPHA / 2, 1 - ALPHA / 2, 1 - ALPHA_WIDE / 2)}
    return pd.DataFrame({"series": MIGRANT, "year": g.mean().index, "mean": g.mean().to_numpy(),
                         "lo80": q[ALPHA / 2].to_numpy(), "hi80": q[1 - ALPHA / 2].to_numpy(),
                         "lo95": q[ALPHA_WIDE / 2].to_numpy(), "hi95": q[1 - ALPHA_WIDE / 2].to_numpy(),
                         "model": "ensemble", "as_of": np.nan}), sel


def score(realized, forecasts, path, members=None):
    """One row per realized figure (``EVALUATE_COLUMNS``), checking each is covered.

    Parameters
    ----------
    realized : pandas.DataFrame
        From ``load_realized``.
    forecasts : pandas.DataFrame
        Contract rows ``series, year, mean, lo80, hi80, lo95, hi95`` (yuan).
    path : path
        The realized file, for error messages.
    members : pandas.DataFrame, optional
        Ensemble rows ``year, yuan_per_person``: migrant PITs are the share of replications
        below the realized value (ties count half); comparator PITs come from the forecast's
        lognormal distribution, recovered from its 80% interval.
    """
    fc = forecasts.set_index(["series", "year"])
    rows = []
    for i, r in enumerate(realized.itertuples(), start=1):
        if r.series not in fc.index.get_level_values(0):
            raise InputError(path, f"row {i}, column group", f"{r.area} {r.group} is not forecast; "
                             f"scored series: {sorted(set(fc.index.get_level_values(0)))}")
        years = sorted(fc.loc[r.series].index)
        if (r.series, r.year) not in fc.index:
            raise InputError(path, f"row {i}, column year", f"{r.year} is outside what the forecast of "
                             f"{r.series} covers ({years[0]}-{years[-1]})")
        f = fc.loc[(r.series, r.year)]
        rows.append({"series": r.series, "year": r.year, "realized": r.value_yuan,
                     **{k: f[k] for k in ("mean", "lo80", "hi80", "lo95", "hi95")},
                     "inside80": bool(f["lo80"] <= r.value_yuan <= f["hi80"]),
                     "inside95": bool(f["lo95"] <= r.value_yuan <= f["hi95"]),
                     "pit": _pit(r, f, members)})
    return pd.DataFrame(rows, columns=EVALUATE_COLUMNS)


def _pit(r, f, members):
    if r.series == MIGRANT and members is not None:
        v = members[members["year"] == r.year]["yuan_per_person"].to_numpy()
        return float(((v < r.value_yuan).sum() + 0.5 * (v == r.value_yuan).sum()) / len(v))
    lo, hi = np.log(f["lo80"]), np.log(f["hi80"])
    sd = (hi - lo) / (2 * stats.norm.ppf(1 - ALPHA / 2))
    return float(stats.norm.cdf((np.log(r.value_yuan) - (lo + hi) / 2) / sd))


def interval_score(table, alpha=ALPHA):
    """Interval score of the 80% intervals (Gneiting and Raftery 2007, eq. 43), yuan; lower is
    better: width plus 2/alpha times the distance by which the realized value falls outside."""
    lo, hi, y = table["lo80"], table["hi80"], table["realized"]
    return (hi - lo) + 2 / alpha * ((lo - y).clip(lower=0) + (y - hi).clip(lower=0))


def realized_targets(realized, run_dir, tree):
    """Target probabilities with the comparators fixed at their realized values where given."""
    from .scenario import recorded_overrides
    from .targets import evaluate
    record = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    tree = tree.with_values(recorded_overrides(record))
    fixed = {s: dict(zip(g["year"], g["value_yuan"])) for s, g in realized.groupby("series")
             if s != MIGRANT}
    frame = evaluate(run_dir, tree, fixed=fixed).frame()
    frame = frame[frame["comparator_reading"] != "plan"]  # the plan reading does not apply to realized values
    return frame.assign(comparator_reading=frame["comparator_reading"].replace("forecast", "realized"))


def evaluate_realized(realized_path, directory=None, out=None, tree=None):
    """Score forecasts (and an ensemble) against a realized file; write ``evaluate.csv``.

    Returns
    -------
    target : pathlib.Path
        The ``evaluate.csv`` written (beside the run, or in ``out``; never over an old one).
    table : pandas.DataFrame
    targets : pandas.DataFrame or None
        Re-computed target probabilities (first ensemble), when a run was given; also written
        beside ``evaluate.csv`` as ``evaluate_targets.csv``, with the bilingual chart
        ``evaluate_chart_{zh,en}.{png,svg,csv}``.
    """
    realized = load_realized(realized_path)
    forecasts = forecast_rows(directory)
    runs = ensemble_dirs(directory)
    members = None
    if runs:
        migrant, members = migrant_rows(runs[0])
        forecasts = pd.concat([forecasts, migrant], ignore_index=True)
    table = score(realized, forecasts, realized_path, members)
    targets = realized_targets(realized, runs[0], tree) if runs and tree is not None else None
    charts = {lang: evaluate_chart(forecasts, table, _history(forecasts), lang, Path(realized_path).name)
              for lang in ("zh", "en")}  # drawn before anything is written
    root = Path(out or directory or "results")
    root.mkdir(parents=True, exist_ok=True)
    target = free_name(root, "evaluate", ".csv")
    storage.write_csv(table, target, overwrite=False, index=False, encoding=CSV_ENCODING, float_format="%.4f")
    for lang, (fig, data) in charts.items():
        save(fig, data, root / f"{target.stem}_chart_{lang}")
    if targets is not None:
        storage.write_csv(targets, root / f"{target.stem}_targets.csv", index=False, encoding=CSV_ENCODING,
                          float_format="%.6g")
    return target, table, targets


def _history(forecasts):
    """Observed rows of the scored series up to the forecasts' information set."""
    as_of = forecasts["as_of"].dropna()
    df = load_series(as_of=int(as_of.iloc[0]) if len(as_of) else None)
    return df.assign(series=df["area"] + "_" + df["group"])[["series", "year", "value_yuan"]]


def summary(table):
    """Hit rates with n, PITs flagged far outside, and the mean interval score."""
    n = len(table)
    far = table[(table["pit"] < FAR_PIT) | (table["pit"] > 1 - FAR_PIT)]
    lines = [f"{n} realized figures: inside the 80% interval {table['inside80'].mean():.0%} (n={n}), "
             f"inside the 95% interval {table['inside95'].mean():.0%} (n={n}); mean 80% interval score "
             f"{interval_score(table).mean():,.0f} yuan"]
    lines += [f"far outside: {r.series} {r.year} realized {r.realized:,.0f}, forecast {r.mean:,.0f} "
              f"[{r.lo95:,.0f}, {r.hi95:,.0f}], PIT {r.pit:.3f}" for r in far.itertuples()]
    return "\n".join(lines)
