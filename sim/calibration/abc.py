"""Rejection ABC of the base year: prior draws of the parameters the 2021 moments identify, kept
when every simulated moment is inside its source's tolerance (``moments.distance`` <= 1).

Why rejection ABC and not an optimiser: the moments have tolerances, not standard errors, so
"inside every band" is the statement the sources support; the kept draws are the calibrated
distribution an ensemble can draw from (``calibrated_draws``); and with two or three parameters
and one simulated year a few dozen draws cover the prior. Every draw runs with the same random
stream (common random numbers), so draws differ by their parameters only and the result does
not depend on the number of workers.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import json
import multiprocessing
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc
from tqdm import tqdm

from .. import uncertainties
from ..errors import InputError
from ..runner import CSV_ENCODING, free_name, run
from . import moments as mom

# The parameters the 2021 moments identify (identification.csv shows which moment moves which):
# participation and the away wage set income, the wage share and the workers away (their files say
# they were hand-calibrated to the income); business profit and crop net income per mu set the
# operating share; the mean household size sets persons per household.
PARAMETERS = ("labour.participation", "labour.wage.away", "industry.business.monthly_profit",
              "industry.crops.net_per_mu", "population.household_size")
DRAWS = 60          # prior draws by default (as `sim calibrate`; about 0.6 s each on 1 core at HOUSEHOLDS)
HOUSEHOLDS = 2000   # households per draw by default (2021 only)
CAL_TAG = 0xCA1     # entropy tag of the calibration's streams


def base_year(scenario):
    """The scenario cut to its first year: the moments are 2021's."""
    return dataclasses.replace(scenario, end=dt.date(mom.YEAR, 12, 1))


def prior_draws(scenario, parameters, n, seed):
    """Latin hypercube draws of ``parameters`` from their prior, one row per draw."""
    for p in parameters:
        if not scenario.parameters[p].metadata.get("uncertainty"):
            raise InputError(scenario.parameters[p].file, "metadata.uncertainty", f"{p} has no prior to calibrate")
    u = qmc.LatinHypercube(d=len(parameters), rng=np.random.default_rng([CAL_TAG, seed])).random(n)
    return pd.DataFrame({p: uncertainties._distribution(scenario.parameters[p].metadata["uncertainty"]).ppf(u[:, j])
                         for j, p in enumerate(parameters)}, index=pd.RangeIndex(n, name="draw"))


def simulate(task):
    """The 2021 moments of one draw (a ``{path: value}`` dict)."""
    scenario, draw, seed, households = task
    tree = uncertainties.apply(scenario.parameters, draw, scenario.start, scenario.base_parameters)
    tables = run(dataclasses.replace(scenario, parameters=tree), np.random.SeedSequence([CAL_TAG, seed]), households)
    return mom.simulated(tables)


def calibrate(scenario, parameters=PARAMETERS, draws=DRAWS, seed=0, households=HOUSEHOLDS,
              moments=mom.MOMENTS, workers=1, progress=True):
    """Simulate every prior draw and keep those inside every tolerance.

    Returns
    -------
    pandas.DataFrame
        One row per draw: the parameters, each simulated moment, ``distance`` and ``accepted``.
    """
    scenario = base_year(scenario)
    prior = prior_draws(scenario, parameters, draws, seed)
    tasks = [(scenario, row.to_dict(), seed, households) for _, row in prior.iterrows()]
    with tqdm(total=len(tasks), unit="draw", desc="calibration", disable=not progress) as bar:
        if workers > 1:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                results = []
                for r in pool.map(simulate, tasks):
                    results.append(r)
                    bar.update(1)
        else:
            results = []
            for t in tasks:
                results.append(simulate(t))
                bar.update(1)
    sims = pd.DataFrame(results, index=prior.index)
    out = prior.join(sims)
    out["distance"] = [mom.distance(r, moments) for r in results]
    out["accepted"] = out["distance"] <= 1.0
    return out


def identification(result, parameters):
    """Which moment moves which parameter: standardised regression coefficients of each moment on
    the parameters over all prior draws (a coefficient near 0: that moment says nothing of it)."""
    X = result[list(parameters)]
    X = (X - X.mean()) / X.std(ddof=0)
    rows = []
    for m in mom.MOMENTS:
        if m.key not in result:
            continue
        y = result[m.key]
        sd = y.std(ddof=0)
        coef = np.linalg.lstsq(np.column_stack([np.ones(len(X)), X]), (y - y.mean()) / (sd or 1), rcond=None)[0][1:]
        rows += [{"moment": m.key, "parameter": p, "standardised_effect": c} for p, c in zip(parameters, coef)]
    return pd.DataFrame(rows)


def compare_distributions(result, parameters):
    """Each calibrated parameter's prior against its calibrated distribution (mean, sd, 10%, 90%)."""
    rows = []
    for p in parameters:
        for name, v in (("prior", result[p]), ("calibrated", result.loc[result.accepted, p])):
            q = np.quantile(v, [0.1, 0.9]) if len(v) else (np.nan, np.nan)
            rows.append({"parameter": p, "distribution": name, "draws": len(v), "mean": v.mean(),
                         "sd": v.std(ddof=1) if len(v) > 1 else np.nan, "p10": q[0], "p90": q[1]})
    return pd.DataFrame(rows)


def write(result, parameters, out, stem, record):
    """Write a calibration directory: moments, calibrated draws, prior vs calibrated, identification."""
    import os
    import tempfile
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out))
    kept = result[result.accepted]
    sims = kept if len(kept) else result.nsmallest(1, "distance")
    table = mom.table(sims[[m.key for m in mom.MOMENTS]].to_dict("records"))
    table["over"] = "accepted draws" if len(kept) else "closest draw (none accepted)"
    files = {"moments": table, "draws": result.reset_index(), "calibrated": kept[list(parameters)].reset_index(),
             "prior_vs_calibrated": compare_distributions(result, parameters),
             "identification": identification(result, parameters)}
    for name, df in files.items():
        df.to_csv(tmp / f"{name}.csv", index=False, encoding=CSV_ENCODING, float_format="%.6g", lineterminator="\n")
    (tmp / "calibration.json").write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str),
                                         encoding="utf-8")
    target = free_name(out, stem)
    os.rename(tmp, target)
    return target


def calibrated_draws(calibration_dir, scenario, replications, seed):
    """An ensemble's draws: the prior Latin hypercube, with each calibrated parameter replaced by
    the calibrated draws, resampled with the ensemble's seed (same seed, same draws)."""
    calibration_dir = Path(calibration_dir)
    path = calibration_dir / "calibrated.csv"
    if not path.is_file():
        raise InputError(calibration_dir, "calibrated.csv", "not a calibration directory (run `sim calibrate`)")
    kept = pd.read_csv(path, encoding=CSV_ENCODING).drop(columns="draw")
    if kept.empty:
        raise InputError(path, "rows", "the calibration accepted no draw: widen the priors or check the moments")
    children = np.random.SeedSequence(seed).spawn(replications + 1)
    draws = uncertainties.sample(scenario.parameters, replications, children[-1])
    rows = np.random.default_rng([CAL_TAG, seed]).integers(0, len(kept), replications)
    for p in kept.columns:
        draws[p] = kept[p].to_numpy()[rows]
    return draws


def newest(out):
    """The newest calibration directory under ``out``."""
    found = sorted(Path(out).glob("calibration-*"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise InputError(out, "--draws calibrated", "no calibration directory here: run `sim calibrate` first")
    return found[-1]


def ensemble_draws(choice, scenario, replications, seed, out):
    """``--draws``: ``prior`` (None, the ensemble's own hypercube), ``calibrated`` (the newest
    calibration under ``out``) or a calibration directory. Returns (draws for run_ensemble, source)."""
    if choice == "prior":
        return None, None
    source = newest(out) if choice == "calibrated" else Path(choice)
    return ("calibrated", calibrated_draws(source, scenario, replications, seed)), source


def attach(source, ensemble_dir):
    """Copy the calibration an ensemble drew from into its ``calibration/`` (the report reads it)."""
    import shutil
    if source is not None:
        shutil.copytree(source, Path(ensemble_dir) / "calibration")
