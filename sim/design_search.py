"""The package search: constrained TPE over the levers, then a bisection of each lever's boundary.

Why TPE (Optuna's Tree-structured Parzen Estimator with constraints): the levers mix whole
numbers (jobs, places) and shares, the constraints are probabilities known only by simulation,
and a study of a few dozen ensembles is too small to fit a trustworthy surrogate of seven target
probabilities over a dozen dimensions. Under common random numbers every trial runs the same
replications, so a trial's cost and probabilities are a deterministic function of its levers and
TPE compares like with like. TPE finds the cheap feasible region; the bisection then moves each
lever of the cheapest feasible trial toward its lower end while the package stays feasible and
gets cheaper, which pins the boundary that a random search only approaches.

Every evaluation, search or bisection, is an Optuna trial in a journal file, so an interrupted
search resumes: finished trials are read back (an evaluation already done is never repeated) and
the trial in flight when it stopped is run again.
"""
from __future__ import annotations

import sys

import numpy as np
import optuna
import pandas as pd
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState
from tqdm import tqdm

JOURNAL = "trials.journal"
CONSTRAINTS_ATTR = "constraints"
FLOAT_BISECTIONS = 6    # a float lever's boundary to 1/64 of its range (at most search.bisections)
STARTUP_SHARE = 4       # one trial in four (at least 3) is random before TPE models the rest


def _bisections(lever, cap):
    """Halvings for ``lever``: a whole-number lever to within 1 (if ``cap`` allows), a float to 1/64."""
    width = lever.high - lever.low
    if lever.integer:
        return min(cap, max(1, int(np.ceil(np.log2(width)))))
    return min(cap, FLOAT_BISECTIONS)


class Search:
    """A resumable constrained search over ``spec``'s levers.

    Parameters
    ----------
    spec : sim.design_spec.DesignSpec
    evaluate : callable
        ``evaluate(values) -> Evaluation`` for ``values = {lever path: value}``.
    directory : pathlib.Path
        Where the journal of trials is kept.
    start_values : dict, optional
        The start package's own lever values; tried first when inside the ranges.
    """

    def __init__(self, spec, evaluate, directory, start_values=None, progress=True):
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.spec, self.evaluate, self.progress = spec, evaluate, progress
        trials = spec.search["trials"]
        sampler = optuna.samplers.TPESampler(seed=spec.search["seed"],
                                             n_startup_trials=max(3, trials // STARTUP_SHARE))
        storage = JournalStorage(JournalFileBackend(str(directory / JOURNAL)))
        self.study = optuna.create_study(study_name=spec.name, storage=storage, sampler=sampler,
                                         direction="minimize", load_if_exists=True)
        self._resume(start_values or {})

    def _resume(self, start_values):
        stale = self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING))
        if not self.study.get_trials(deepcopy=False):
            for corner in self._corners(start_values):
                self.study.enqueue_trial({k: v.item() if hasattr(v, "item") else v for k, v in corner.items()})
        for t in stale:  # interrupted: run it again
            if t.state == TrialState.RUNNING:
                self.study.tell(t.number, state=TrialState.FAIL)
                self.study.enqueue_trial(t.params)

    def _corners(self, start_values):
        """The cheapest and the strongest corner, and the start package if it is inside the ranges."""
        levers = self.spec.levers
        out = [{lv.path: lv.low for lv in levers}, {lv.path: lv.high for lv in levers}]
        if all(lv.low <= start_values.get(lv.path, np.nan) <= lv.high for lv in levers):
            out.append({lv.path: start_values[lv.path] for lv in levers})
        return [c for i, c in enumerate(out) if c not in out[:i]]

    def _suggest(self, trial):
        return {lv.path: trial.suggest_int(lv.path, int(lv.low), int(lv.high)) if lv.integer
                else trial.suggest_float(lv.path, float(lv.low), float(lv.high)) for lv in self.spec.levers}

    def _tell(self, trial, values):
        ev = self.evaluate(values)
        for key, v in ev.record().items():
            trial.set_user_attr(key, float(v))
        shortfalls = {k: p - ev.probabilities[k] for k, p in self.spec.constraints.items()}
        for k, v in shortfalls.items():  # feasible when every shortfall is <= 0 (TPE reads these)
            trial.set_constraint(f"P({k})", float(v))
        trial.set_user_attr(CONSTRAINTS_ATTR, list(shortfalls.values()))
        self.study.tell(trial, float(ev.extra_cost))

    def _done(self):
        return self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))

    def _lookup(self, values):
        for t in self._done():
            if all(np.isclose(t.params.get(k, np.nan), v) for k, v in values.items()):
                return t
        return None

    def _at(self, values, bar):
        """The finished trial at ``values``, evaluating it now if it is new."""
        values = {lv.path: int(values[lv.path]) if lv.integer else float(values[lv.path])
                  for lv in self.spec.levers}
        found = self._lookup(values)
        if found is None:
            self.study.enqueue_trial(values)
            trial = self.study.ask()
            self._tell(trial, self._suggest(trial))
            bar.update(1)
            found = self._lookup(values)
        return found

    def run(self):
        """Search, then bisect; returns the trials table (:func:`trials_table`)."""
        budget = self.spec.search["trials"]
        polish = sum(_bisections(lv, self.spec.search["bisections"]) for lv in self.spec.levers)
        with tqdm(total=budget + polish, initial=min(len(self._done()), budget + polish), unit="trial",
                  desc=f"design {self.spec.name}", file=sys.stderr, mininterval=0.5,
                  disable=not self.progress) as bar:
            while len(self._done()) < budget:
                trial = self.study.ask()
                self._tell(trial, self._suggest(trial))
                bar.update(1)
            self._bisect(bar)
        return trials_table(self.study, self.spec)

    def _bisect(self, bar):
        table = trials_table(self.study, self.spec)
        feasible = table[table.feasible]
        if feasible.empty:
            return
        best = feasible.sort_values(["extra_cost_yuan", "trial"]).iloc[0]
        values = {lv.path: best[lv.path] for lv in self.spec.levers}
        cost = best.extra_cost_yuan
        for lv in self.spec.levers:
            lo, hi = lv.low, values[lv.path]  # hi is feasible; lo may not be
            for _ in range(_bisections(lv, self.spec.search["bisections"])):
                if lo >= hi:
                    break
                mid = (lo + hi) // 2 if lv.integer else (lo + hi) / 2
                t = self._at({**values, lv.path: mid}, bar)
                if all(c <= 0 for c in t.user_attrs[CONSTRAINTS_ATTR]) and t.value < cost:
                    hi, cost, values = mid, t.value, {**values, lv.path: mid}
                else:
                    lo = mid + 1 if lv.integer else mid


def trials_table(study, spec):
    """One row per finished trial: lever values, extra cost, probabilities and feasibility."""
    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        shortfall = max(t.user_attrs[CONSTRAINTS_ATTR])
        rows.append({"trial": t.number, **{lv.path: t.params[lv.path] for lv in spec.levers},
                     **{k: v for k, v in t.user_attrs.items() if k != CONSTRAINTS_ATTR},
                     "shortfall": shortfall, "feasible": shortfall <= 0})
    return pd.DataFrame(rows)


def frontier(trials, key):
    """The trials no other is cheaper and at least as likely to meet ``key`` than (P_key)."""
    column = f"P_{key}"
    best, keep = -np.inf, []
    for i, row in trials.sort_values(["extra_cost_yuan", column], ascending=[True, False]).iterrows():
        if row[column] > best:
            best = row[column]
            keep.append(i)
    return trials.loc[keep].assign(frontier=key)


def candidates(trials, spec):
    """The packages to re-check, and whether they met the constraints in the search.

    The cheapest feasible trials (distinct lever values), at most ``recheck.candidates``; if none
    is feasible, the trial closest to feasible (smallest largest shortfall), the cheapest of ties.
    """
    levers = [lv.path for lv in spec.levers]
    feasible = trials[trials.feasible].sort_values(["extra_cost_yuan", "trial"]).drop_duplicates(levers)
    if len(feasible):
        return feasible.head(spec.recheck["candidates"]), True
    return trials.sort_values(["shortfall", "extra_cost_yuan", "trial"]).head(1), False
