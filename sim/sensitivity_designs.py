"""Global sensitivity by designs that run their own samples: Morris's elementary effects, Sobol' indices.

``sim sensitivity DIR --method morris|sobol`` takes the scenario, households, burn-in and seed of
the ensemble in DIR and every uncertain parameter with its prior, builds SALib's design in unit
quantile space (Morris 1991's trajectories, or Saltelli's sampling of a scrambled Sobol' sequence,
Saltelli et al. 2010), maps each column through the prior's inverse CDF as the ensemble's Latin
hypercube does (``sim.uncertainties.from_quantiles``), and runs the design as an ensemble of its
own (``sim.ensemble.run_ensemble`` with ``draws=(method, table)``) beside DIR: resumable, locked,
atomic, with progress, and the same tables whatever the number of workers. The figures of T1-T3
and the 2025 income are read as the given-data path reads them (``sim.sensitivity.read``); the
table has the given-data contract (``target, parameter, index, ci_low, ci_high, method``):

- ``morris``: Campolongo et al. (2007)'s mu* (mean absolute elementary effect, in the figure's
  unit per unit of quantile range) with SALib's bootstrap half-width;
- ``sobol_S1`` and ``sobol_ST``: first-order and total Sobol' indices (shares of variance), with
  SALib's bootstrap half-widths (second-order indices are not computed: N(k+2) runs, not N(2k+2)).

A ``DUMMY`` parameter is part of every design but applied to nothing: its index is the noise
floor of the replications' own randomness (each run has its own stream, as in any ensemble).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze, sobol as sobol_analyze
from SALib.sample import morris as morris_sample, sobol as sobol_sample

from . import capacity, storage, uncertainties
from .errors import InputError
from .runner import CSV_ENCODING, free_name
from .sensitivity import BOOTSTRAP, COLUMNS, CONF_LEVEL, DUMMY, FIGURES, noise_floor, ranking

DESIGNS = ("morris", "sobol")
MORRIS_LEVELS = 4           # grid levels of each trajectory (SALib's default; Morris 1991 used 4)
DEFAULT_TRAJECTORIES = 4    # Morris trajectories r: runs r (k + 2) with k parameters and the dummy
MIN_TRAJECTORIES = 2        # fewest trajectories: the spread and bootstrap of elementary effects need two per parameter
DEFAULT_BASE_SAMPLES = 8    # Sobol' base samples N: runs N (k + 3) with k parameters and the dummy
MIN_BASE_SAMPLES = 4        # fewest base samples for a bootstrap of the estimators (a power of 2, as all N)
MAX_RUNS = 1000             # model runs a design may take unless the user raises --max-runs
# Quantiles the designs' unit levels are held inside (/1): Morris's grid reaches 0 and 1, where a
# normal or lognormal prior has no finite value; 0.5% and 99.5% keep 99% of each prior's range.
QUANTILE_EDGE = 0.005
DESIGN_TAG = 0x5E           # entropy tag of a design's sample stream, apart from the ensemble's
METHOD_NAMES = {"morris": ("morris",), "sobol": ("sobol_S1", "sobol_ST")}
RANKED_BY = {"morris": "morris", "sobol": "sobol_ST"}


def runs_needed(method, parameters, size):
    """Model runs of a design: Morris ``size (k + 2)``, Sobol' ``size (k + 3)`` (k parameters + dummy)."""
    return size * (parameters + (2 if method == "morris" else 3))


def check_design(method, size, parameters, max_runs, where):
    """Refuse an unknown method, too small a design or one above ``max_runs`` (nothing run yet)."""
    if method not in DESIGNS:
        raise InputError(where, "--method", f"unknown design {method!r}; allowed: {', '.join(DESIGNS)}")
    key, least = ("--trajectories", MIN_TRAJECTORIES) if method == "morris" else ("--base-samples", MIN_BASE_SAMPLES)
    if size < least:
        raise InputError(where, key, f"{method} needs at least {least}, got {size}")
    if method == "sobol" and size & (size - 1):
        raise InputError(where, key, f"Sobol' base samples must be a power of 2 (the sequence's balance), got {size}")
    if parameters < 1:
        raise InputError(where, "uncertain parameters", "the scenario has no uncertain parameters to analyse")
    runs = runs_needed(method, parameters, size)
    if runs > max_runs:
        raise InputError(where, "--max-runs", f"{method} with {key} {size} over {parameters} parameters needs "
                         f"{runs:,} model runs, above the budget of {max_runs:,}: lower {key} or raise --max-runs")
    return runs


def problem(paths):
    """SALib's problem over unit quantiles of ``paths`` and the dummy."""
    names = [*paths, DUMMY]
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def unit_sample(method, paths, size, seed):
    """The design in unit quantile space: runs x (``paths`` + dummy); depends on its arguments only."""
    rng = np.random.default_rng([DESIGN_TAG, seed])
    if method == "morris":
        return morris_sample.sample(problem(paths), size, num_levels=MORRIS_LEVELS, seed=rng)
    return sobol_sample.sample(problem(paths), size, calc_second_order=False, scramble=True, seed=rng)


def indices(method, paths, X, figures, seed=0):
    """Morris or Sobol' indices of every figure, in the ``sensitivity.csv`` contract.

    Parameters
    ----------
    method : {"morris", "sobol"}
    paths : list of str
        The parameters, in the order of ``X``'s columns (the dummy is the last column).
    X : numpy.ndarray
        The unit sample of ``unit_sample``.
    figures : pandas.DataFrame
        One row per run of ``X``, one column per figure; a figure with non-finite values or no
        spread is left out (a design's runs cannot be dropped one by one).
    seed : int
        Seed of SALib's bootstrap.

    Returns
    -------
    pandas.DataFrame
        ``target, parameter, index, ci_low, ci_high, method``, ranked within each figure and method.
    """
    prob, rows = problem(paths), []
    for k, (target, y) in enumerate(figures.items()):
        y = y.to_numpy(float)
        if not np.isfinite(y).all() or y.std() == 0:
            continue
        boot = int(np.random.default_rng([seed, k]).integers(1, 2**31))  # SALib's sobol ignores a seed of 0
        if method == "morris":
            r = morris_analyze.analyze(prob, X, y, num_resamples=BOOTSTRAP, conf_level=CONF_LEVEL,
                                       num_levels=MORRIS_LEVELS, seed=boot)
            found = {"morris": (np.asarray(r["mu_star"]), np.asarray(r["mu_star_conf"]))}
        else:
            r = sobol_analyze.analyze(prob, y, calc_second_order=False, num_resamples=BOOTSTRAP,
                                      conf_level=CONF_LEVEL, seed=boot)
            found = {"sobol_S1": (np.asarray(r["S1"]), np.asarray(r["S1_conf"])),
                     "sobol_ST": (np.asarray(r["ST"]), np.asarray(r["ST_conf"]))}
        for name, (index, half) in found.items():
            low = np.maximum(index - half, 0) if name == "morris" else index - half  # mu* is never negative
            rows.append(pd.DataFrame({"target": target, "parameter": prob["names"], "index": index,
                                      "ci_low": low, "ci_high": index + half, "method": name}))
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(rows, ignore_index=True)
    return table.sort_values(["target", "method", "index"], ascending=[True, True, False],
                             kind="stable", ignore_index=True)[COLUMNS]


def scenario_of(record, tree):
    """The scenario an ensemble ran, rebuilt from its ``run.json`` over ``tree``'s parameter files."""
    from .scenario import Scenario, recorded_overrides
    s, overrides = record["scenario"], recorded_overrides(record)
    month = lambda text: dt.date.fromisoformat(f"{text}-01")  # noqa: E731  ("2021-01")
    return Scenario(name=s["name"], label=s.get("label") or {}, description=s.get("description", ""),
                    start=month(s["start"]), end=month(s["end"]), households=s["households"],
                    parameters=tree.with_values(overrides), base_parameters=tree, overrides=overrides,
                    chain=tuple(s.get("chain", ())))


def plan(run_dir, tree, method, size=None, max_runs=MAX_RUNS, workers=None):
    """Check everything and return ``(record, scenario, paths, size, runs)``; nothing is run or written."""
    from .targets import read_ensemble
    run_dir = Path(run_dir)
    if method not in DESIGNS:
        check_design(method, 0, 0, max_runs, run_dir)
    record, _ = read_ensemble(run_dir)
    scenario = scenario_of(record, tree)
    paths = uncertainties.uncertain_parameters(scenario.parameters)
    size = size or (DEFAULT_TRAJECTORIES if method == "morris" else DEFAULT_BASE_SAMPLES)
    runs = check_design(method, size, len(paths), max_runs, run_dir)
    capacity.check(record["households"], runs, workers, run_dir.parent)
    return record, scenario, paths, size, runs


def run_design(run_dir, tree, method, size=None, max_runs=MAX_RUNS, workers=None, seed=0, progress=True):
    """Run (or resume) a design beside ``run_dir`` and analyse it.

    Parameters
    ----------
    run_dir : path
        A finished ensemble: its scenario, households, burn-in and seed are the design's.
    tree : sim.parameters.ParameterTree
        The parameter files (their priors are the design's).
    method : {"morris", "sobol"}
    size : int, optional
        Morris trajectories or Sobol' base samples (defaults ``DEFAULT_TRAJECTORIES``,
        ``DEFAULT_BASE_SAMPLES``).
    max_runs : int
        The run budget; a larger design is refused before anything runs.
    workers : int, optional
        Worker processes (1: this process); the tables do not depend on it.
    seed : int
        Seed of the design's sample and of the bootstrap.

    Returns
    -------
    design_dir : pathlib.Path
        The design's ensemble directory (its ``run.json`` says ``draws: morris`` or ``sobol``).
    table : pandas.DataFrame
        The indices (see ``indices``).
    """
    return _run_planned(plan(run_dir, tree, method, size, max_runs, workers), run_dir, tree, method, workers,
                        seed, progress)


def _run_planned(planned, run_dir, tree, method, workers, seed, progress=True):
    """``run_design`` once ``plan`` has checked everything."""
    from .ensemble import run_ensemble
    from .sensitivity import read
    record, scenario, paths, size, runs = planned
    X = unit_sample(method, paths, size, seed)
    draws = uncertainties.from_quantiles(scenario.parameters, paths,
                                         np.clip(X[:, :len(paths)], QUANTILE_EDGE, 1 - QUANTILE_EDGE))
    design_dir = run_ensemble(scenario, runs, record["seed"], out=Path(run_dir).parent,
                              households=record["households"], burn_in=record["burn_in_months"],
                              executor="serial" if workers == 1 else "processes", workers=workers,
                              progress=progress, draws=(method, draws))
    _, _, figures = read(design_dir, tree)
    return design_dir, indices(method, paths, X, figures, seed)


def write(directory, table, method=None):
    """Write ``sensitivity.csv`` and its chart (``sim/charts/sensitivity.py``) in zh and en.

    A table identical to the ``sensitivity.csv`` already there (the command run again) is not
    written twice; any other is written beside it (``free_name``), never over it. Returns the
    CSV's path.
    """
    from .charts import ChartInputs
    from .charts import sensitivity as chart
    from .charts.style import save
    directory = Path(directory)
    text = table.to_csv(index=False, float_format="%.6g", lineterminator="\n")
    out = directory / "sensitivity.csv"
    if out.is_file() and out.read_text(encoding=CSV_ENCODING) == text:
        return out
    out = free_name(directory, "sensitivity", ".csv")
    for lang in ("zh", "en"):
        drawn = chart.draw(ChartInputs(sensitivity=table), lang, method)
        if drawn is not None:
            save(*drawn, free_name(directory / "charts", f"{chart.NAME}_{lang}", ".png").with_suffix(""))
    storage.atomic_write_text(out, text, CSV_ENCODING, overwrite=False)
    return out


def summary(table, shown):
    """One line per figure: its top five parameters by ``shown`` against the noise floor."""
    lines = []
    for target in FIGURES:
        if target not in set(table.target):
            lines.append(f"{target}: left out (a run without a finite value, or no spread)")
            continue
        top = ranking(table, target, shown, top=5)
        lines.append(f"{target} ({shown}, noise floor {noise_floor(table, target, shown):.3g}): " + "; ".join(
            f"{r.parameter} {r.index:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]" for r in top.itertuples()))
    return lines


def run_command(run_dir, tree, methods, seed=0, size=None, max_runs=None, workers=None):
    """``sim sensitivity DIR [--method ...]``: analyse (given data, or a design), write, summarise."""
    from .sensitivity import analyse
    methods, max_runs = list(methods), max_runs or MAX_RUNS
    designs = [m for m in methods if m in DESIGNS]
    if designs and len(methods) > 1:
        raise InputError(run_dir, "--method", f"{designs[0]} runs its own design: ask for it alone "
                         f"(got {' '.join(methods)})")
    if not designs:
        table = analyse(run_dir, tree, tuple(methods), seed)
        shown = "delta" if "delta" in methods else methods[0]
        out = write(run_dir, table, shown)
        return "\n".join([f"{out}: {len(table)} indices ({', '.join(sorted(set(table.method)))})",
                          *summary(table, shown)])
    method = designs[0]
    planned = plan(run_dir, tree, method, size, max_runs, workers)
    record, _, paths, size, runs = planned
    design_dir, table = _run_planned(planned, run_dir, tree, method, workers, seed)
    out = write(design_dir, table, RANKED_BY[method])
    lines = [f"{method}: {runs:,} model runs ({len(paths)} parameters + dummy, size {size}) in {design_dir}",
             f"{out}: {len(table)} indices ({', '.join(METHOD_NAMES[method])})"]
    if record.get("draws", "prior") != "prior":
        lines.append(f"note: {run_dir} used {record['draws']} draws; the design samples the priors")
    return "\n".join(lines + summary(table, RANKED_BY[method]))
