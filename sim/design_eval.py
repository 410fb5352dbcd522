"""Evaluate packages in memory against the baseline with common random numbers.

An :class:`Evaluator` runs the baseline once; each package it is asked about then runs with the
same replications (the same random streams and parameter draws, ``sim.ensemble.design``), so its
target probabilities and extra cost differ from the baseline's by the package's effect, not by
noise. Extra cost and probabilities are read as ``sim compare`` reads them (``compare.package_row``),
but nothing is written to disk: a design search or the explorer asks about many packages.
"""
from __future__ import annotations

import concurrent.futures as cf
import copy
import dataclasses
import multiprocessing
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import costs, targets, uncertainties
from .compare import Package, package_row
from .ensemble import KEPT_TABLES, design, replicate
from .forecast import fit_all

JOINT = "T1&T2"  # the joint event the frontier is also drawn against


@dataclass
class Evaluation:
    """One package against the baseline, over the same replications.

    Attributes
    ----------
    extra_cost : float
        Median over replications of the paired extra fiscal cost 2021-2025 (yuan, Zhongwei scale).
    extra_cost_p10, extra_cost_p90 : float
    probabilities : dict
        ``"T1"`` ... ``"T7"`` and ``"T1&T2"`` -> share of replications meeting it.
    replications : int
    income : pandas.DataFrame
        Migrants' per-capita disposable income, replication x year (yuan per person per year).
    """

    extra_cost: float
    extra_cost_p10: float
    extra_cost_p90: float
    probabilities: dict
    replications: int
    income: pd.DataFrame = field(repr=False, default=None)

    def error(self, key):
        """Binomial Monte Carlo standard error of a probability."""
        p = self.probabilities[key]
        return float(np.sqrt(p * (1 - p) / self.replications))

    def record(self):
        """Flat figures for tables: cost, and each probability with its error."""
        out = {"extra_cost_yuan": self.extra_cost, "extra_cost_p10": self.extra_cost_p10,
               "extra_cost_p90": self.extra_cost_p90, "replications": self.replications}
        for k in self.probabilities:
            out[f"P_{k}"] = self.probabilities[k]
            out[f"P_{k}_se"] = self.error(k)
        return out


class _InMemory(Package):
    """A package's ensemble held in memory (``Package`` reads one from disk)."""

    def __init__(self, scenario, record, tables, draws, forecasts):
        self.scenario, self.run_dir, self.record, self.draws = scenario, None, record, draws
        inc = tables["income_yearly"]
        allm = inc[(inc.group == "all") & (inc.component == "disposable")]
        self.income = allm.pivot_table(index="replication", columns="year", values="yuan_per_person")
        self.persons = allm.pivot_table(index="replication", columns="year", values="persons")
        self.targets = targets.evaluate_tables(record, tables, scenario.parameters, forecasts=forecasts)
        self.costs = self._costs(tables)

    def _costs(self, tables):
        # as Package._costs, with the draws in memory
        s, f, h = self.scenario, tables["fiscal_yearly"], tables["households_yearly"]
        per_rep, self.scale = [], pd.Series(index=self.draws.index, dtype=float)
        for r, row in self.draws.iterrows():
            tree = uncertainties.apply(s.parameters, row.dropna().to_dict(), s.start, s.base_parameters)
            scale = self.scale[r] = self.record["households"] / tree["population.zhongwei_households"].at(s.start)
            c = costs.lever_costs(tree, f[f.replication == r], h[h.replication == r], scale, s.start)
            per_rep.append(c.assign(replication=r))
        return pd.concat(per_rep, ignore_index=True)


def with_levers(scenario, overrides, name=None, label=None):
    """``scenario`` with ``overrides`` (``{path: {date: value}}``) applied on top, as ``extends`` would."""
    merged = dict(scenario.overrides)
    for path, dated in overrides.items():
        first = min(dated)
        merged[path] = {**{d: v for d, v in merged.get(path, {}).items() if d < first}, **dated}
    return dataclasses.replace(scenario, parameters=scenario.parameters.with_values(overrides),
                               overrides=merged, name=name or scenario.name, label=label or scenario.label)


class Evaluator:
    """Runs packages against a baseline with common random numbers, in memory.

    Parameters
    ----------
    baseline : sim.scenario.Scenario
    replications, households, seed : int
        Every package runs these replications (``sim.ensemble.design(baseline, replications, seed)``).
    workers : int, optional
        Worker processes (one pool for the evaluator's life); None or 1 runs in this process.
    forecasts : dict, optional
        Comparator forecasts (``sim.forecast.fit_all``); fitted here if not given.
    """

    def __init__(self, baseline, replications, households, seed, workers=None, forecasts=None):
        self.baseline, self.households, self.seed = baseline, households, seed
        self.reps, self.draws = design(baseline, replications, seed)
        self.forecasts = forecasts or fit_all()
        self.pool = None
        if workers and workers > 1:
            self.pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self.base = None

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _tables(self, scenario, progress):
        # A fresh copy of each replication's SeedSequence per run: spawning children from it (as
        # sim.runner.seed_streams does) advances its counter, so a reused one would give another
        # package other random streams and break common random numbers.
        tasks = [(scenario, self.households, None, dataclasses.replace(r, seed=copy.deepcopy(r.seed)))
                 for r in self.reps]
        results = map(replicate, tasks) if self.pool is None else (
            f.result() for f in cf.as_completed([self.pool.submit(replicate, t) for t in tasks]))
        parts = {}
        for done, (index, tables) in enumerate(results, 1):
            parts[index] = tables
            if progress:
                progress(done, len(tasks))
        return {name: pd.concat([parts[i][name] for i in sorted(parts)], ignore_index=True)
                for name in KEPT_TABLES}

    def ensemble(self, scenario, progress=None):
        """Run ``scenario``'s replications and read them as ``sim compare`` does."""
        record = {"replications": len(self.reps), "seed": self.seed, "households": self.households,
                  "scenario": {"name": scenario.name, "start": f"{scenario.start:%Y-%m}"}}
        return _InMemory(scenario, record, self._tables(scenario, progress), self.draws, self.forecasts)

    def evaluate(self, scenario, progress=None):
        """The :class:`Evaluation` of ``scenario`` against the baseline (run once, on first use)."""
        if self.base is None:
            self.base = self.ensemble(self.baseline, progress)
        package = self.ensemble(scenario, progress)
        row = package_row(package, self.base)
        met = {t.key: t.met for t in package.targets.targets}
        probabilities = {k: float(m.mean()) for k, m in met.items()}
        probabilities[JOINT] = float((met["T1"] & met["T2"]).mean())
        return Evaluation(row["extra_cost_yuan"], row["extra_cost_p10"], row["extra_cost_p90"],
                          probabilities, len(self.reps), package.income)
