"""``sim design``: the cheapest package that meets target constraints, re-checked with fresh seeds.

Steps (each resumable):

1. Search (``sim.design_search``): constrained TPE over the spec's levers, every trial an
   in-memory ensemble of the candidate against the baseline under common random numbers
   (``sim.design_eval``), at the spec's modest ``search`` scale; then a bisection of each lever
   of the cheapest feasible trial. Trials are kept in a journal in ``out/.design-NAME-seedS.partial``.
2. Re-check: the cheapest feasible candidates (or, if none, the one closest to feasible) are
   written as scenario files that ``extends`` the start package and compared with ``sim compare``
   at the ``recheck`` scale and with a fresh seed, so the probability reported is not the lucky
   maximum of a noisy search. The winner is the cheapest candidate whose re-checked
   probabilities meet every constraint.
3. Output: the comparison directory of the re-check gets ``design/``: ``frontier.csv`` (extra
   cost against P(T1) and against P(T1 and T2)), ``trials.csv``, ``recheck.csv``,
   ``winner.yaml``, ``summary.json`` and the frontier chart in Chinese and English.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from . import storage
from .charts.frontier import frontier_chart
from .charts.style import save
from .design_eval import JOINT, Evaluation, Evaluator, with_levers
from .design_search import Search, candidates, frontier
from .runner import CSV_ENCODING, free_name
from .scenario import load_scenario

STATE_SPEC = "spec.json"
FRONTIER_KEYS = ("T1", JOINT)


@dataclass
class DesignResult:
    """What ``run_design`` found; ``directory / "design"`` holds the files."""

    spec: object
    directory: Path
    trials: pd.DataFrame
    frontier: pd.DataFrame
    recheck: pd.DataFrame
    feasible_in_search: bool
    winner: pd.Series | None
    winner_file: Path | None


def start_values(spec):
    """The start package's own value of each lever on the lever's date."""
    start = load_scenario(spec.start)
    return {lv.path: start.parameters[lv.path].at(lv.start) for lv in spec.levers}


def _state_dir(spec, out):
    """The search's working directory: a new one, or the unfinished one of the same spec."""
    state = Path(out) / f".design-{spec.name}-seed{spec.search['seed']}.partial"
    record = json.loads(json.dumps(spec.record()))
    if state.exists():
        old = json.loads((state / STATE_SPEC).read_text(encoding="utf-8"))
        if old != record:
            raise FileExistsError(f"{state} holds an unfinished design search of another spec; "
                                  "finish it with its own spec, or remove it")
    else:
        state.mkdir(parents=True)
        storage.atomic_write_text(state / STATE_SPEC, json.dumps(record, indent=1))
    return state


class _LazyEvaluator:
    """Builds the search's evaluator (baseline run, forecasts fitted) only when a trial needs it."""

    def __init__(self, spec, workers, forecasts=None):
        self.spec, self.workers, self.evaluator, self.start = spec, workers, None, None
        self.forecasts = forecasts

    def __call__(self, values):
        if self.evaluator is None:
            s = self.spec.search
            self.start = load_scenario(self.spec.start)
            self.evaluator = Evaluator(load_scenario(self.spec.baseline), s["replications"], s["households"],
                                       s["seed"], workers=self.workers, forecasts=self.forecasts)
            self.forecasts = self.evaluator.forecasts
        overrides = {lv.path: lv.override(values[lv.path]) for lv in self.spec.levers}
        return self.evaluator.evaluate(with_levers(self.start, overrides))

    def close(self):
        if self.evaluator is not None:
            self.evaluator.close()


def candidate_text(spec, values, name, extends, note):
    """A scenario file (YAML text) that ``extends`` the start package with the lever values."""
    doc = {"name": name, "extends": extends,
           "label": {"zh": f"{spec.label['zh']}（设计方案 {name}）", "en": f"{spec.label['en']} (design {name})"},
           "description": f"Found by `sim design {spec.file.name}`: {note}",
           "parameters": {lv.path: {lv.start.isoformat(): int(values[lv.path]) if lv.integer
                                    else float(values[lv.path])} for lv in spec.levers}}
    return (f"# Written by `python -m sim design {spec.file.name}`; run and compare it like any package.\n"
            + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def _write_candidates(spec, chosen, folder):
    folder.mkdir(exist_ok=True)
    files = []
    for k, (_, row) in enumerate(chosen.iterrows(), 1):
        path = folder / f"{spec.name}_c{k}.yaml"
        note = f"search trial {row.trial}, P(T1) {row.P_T1:.2f} at the search scale"
        storage.atomic_write_text(path, candidate_text(spec, row, path.stem, os.path.relpath(spec.start, folder),
                                                       note))
        files.append(path)
    return files


def recheck_compare(spec, files, out, workers=None, progress=True, forecasts=None):
    """Re-check candidate files with ``sim compare`` at the re-check scale and seed.

    Returns the comparison directory and one :class:`Evaluation` per file.
    """
    from .compare import Package, compare
    from .forecast import fit_all
    r = spec.recheck
    scenarios = [load_scenario(f) for f in (spec.baseline, spec.start, *files)]
    executor = "processes" if workers is None or workers > 1 else "serial"
    directory, table = compare(scenarios, r["replications"], r["seed"], out=out, households=r["households"],
                               executor=executor, workers=workers, progress=progress)
    ensembles = json.loads((directory / "run.json").read_text(encoding="utf-8"))["ensembles"]
    forecasts, out_evals = forecasts or fit_all(), []
    for s in scenarios[2:]:
        row = table.set_index("scenario").loc[s.name]
        met = {t.key: t.met for t in Package(s, ensembles[s.name], forecasts).targets.targets}
        probabilities = {k: float(row[f"{k}_probability"]) for k in met}
        probabilities[JOINT] = float((met["T1"] & met["T2"]).mean())
        out_evals.append(Evaluation(row.extra_cost_yuan, row.extra_cost_p10, row.extra_cost_p90,
                                    probabilities, r["replications"]))
    return directory, out_evals


def _recheck_table(spec, chosen, evaluations):
    rows = []
    for (_, row), ev in zip(chosen.iterrows(), evaluations):
        rec = {f"recheck_{k}": v for k, v in ev.record().items()}
        confirmed = all(ev.probabilities[k] >= p for k, p in spec.constraints.items())
        rows.append({"trial": row.trial, **{lv.path: row[lv.path] for lv in spec.levers},
                     "search_extra_cost_yuan": row.extra_cost_yuan,
                     **{f"search_P_{k}": row[f"P_{k}"] for k in (*spec.constraints, JOINT)},
                     **rec, "confirmed": confirmed})
    return pd.DataFrame(rows)


def run_design(spec, out="results", workers=None, progress=True, evaluate=None, recheck=None, forecasts=None):
    """Search, re-check and write the design; see the module docstring.

    Parameters
    ----------
    spec : sim.design_spec.DesignSpec
    out : path
        Where the working directory and the re-check comparison go.
    workers : int, optional
        Worker processes for the search and the re-check (default: all cores in the re-check,
        this process in the search).
    forecasts : dict, optional
        Comparator forecasts already fitted (``sim.forecast.fit_all``), to save fitting them again.
    evaluate, recheck : callable, optional
        Replace the simulation (``evaluate(values) -> Evaluation``) and the re-check
        (``recheck(spec, files, out, workers, progress) -> (directory, [Evaluation])``), for tests.
    """
    state = _state_dir(spec, out)
    lazy = None if evaluate is not None else _LazyEvaluator(spec, workers, forecasts)
    try:
        trials = Search(spec, evaluate or lazy, state, start_values(spec), progress).run()
    finally:
        if lazy is not None:
            lazy.close()
    chosen, feasible = candidates(trials, spec)
    files = _write_candidates(spec, chosen, state / "candidates")
    if recheck is None:
        forecasts = lazy.forecasts if lazy is not None else forecasts
        directory, evaluations = recheck_compare(spec, files, out, workers, progress, forecasts)
    else:
        directory, evaluations = recheck(spec, files, out, workers, progress)
    table = _recheck_table(spec, chosen, evaluations)
    confirmed = table[table.confirmed]
    winner = confirmed.iloc[0] if len(confirmed) else None
    fronts = pd.concat([frontier(trials, k) for k in FRONTIER_KEYS], ignore_index=True)
    result = DesignResult(spec, Path(directory), trials, fronts, table, feasible, winner, None)
    _write_outputs(result, state, chosen)
    return result


def _write_outputs(result, state, chosen):
    spec, design = result.spec, result.directory / "design"
    design.mkdir()
    for name, df in (("trials", result.trials), ("frontier", result.frontier), ("recheck", result.recheck)):
        storage.write_csv(df, design / f"{name}.csv", index=False, encoding=CSV_ENCODING, float_format="%.6g")
    _write_candidates(spec, chosen, design)  # again, with extends pointing from their new place
    if result.winner is not None:
        k = int(result.recheck.index[result.recheck.confirmed][0]) + 1
        result.winner_file = design / "winner.yaml"
        shutil.copyfile(design / f"{spec.name}_c{k}.yaml", result.winner_file)
    for lang in ("zh", "en"):
        fig, data = frontier_chart(result, lang)
        save(fig, data, design / f"frontier_{lang}")
    shutil.copyfile(spec.file, design / "spec.yaml")
    storage.atomic_write_text(design / "summary.json", json.dumps(summary_record(result), ensure_ascii=False,
                                                                  indent=1, default=float))
    shutil.move(str(state / "trials.journal"), design / "trials.journal")
    shutil.rmtree(state)


def best_reached(trials, spec):
    """Per constrained target (and the joint T1&T2): the highest probability a trial reached, and its cost."""
    out = {}
    for k in (*spec.constraints, JOINT):
        row = trials.sort_values([f"P_{k}", "extra_cost_yuan"], ascending=[False, True]).iloc[0]
        out[k] = {"probability": float(row[f"P_{k}"]), "extra_cost_yuan": float(row.extra_cost_yuan),
                  "trial": int(row.trial)}
    return out


def summary_record(result):
    """The design's answer as plain data (``summary.json``)."""
    spec, w = result.spec, result.winner
    rec = {"spec": str(spec.file), "constraints": spec.constraints, "trials": len(result.trials),
           "search": spec.search, "recheck": spec.recheck, "feasible_in_search": result.feasible_in_search,
           "best_reached_in_search": best_reached(result.trials, spec), "comparison": str(result.directory),
           "winner": None}
    if w is not None:
        rec["winner"] = {"file": str(result.winner_file), "levers": {lv.path: w[lv.path] for lv in spec.levers},
                         "extra_cost_yuan": float(w.recheck_extra_cost_yuan),
                         "probabilities": {k: [float(w[f"recheck_P_{k}"]), float(w[f"recheck_P_{k}_se"])]
                                           for k in (*spec.constraints, JOINT)}}
    return rec


def summary(result):
    """The answer in Chinese and English, as printed by ``sim design``."""
    spec, w, r = result.spec, result.winner, result.spec.recheck
    cons = " and ".join(f"P({k}) >= {p:.0%}" for k, p in spec.constraints.items())
    scale = f"{r['replications']} replications of {r['households']:,} households, seed {r['seed']}"
    if w is not None:
        levers = ", ".join(f"{lv.path} = {w[lv.path]:,.4g}" for lv in spec.levers)
        probs = ", ".join(f"P({k}) {w[f'recheck_P_{k}']:.0%} ± {w[f'recheck_P_{k}_se']:.0%}"
                          for k in (*spec.constraints, JOINT))
        cost = w.recheck_extra_cost_yuan / 1e6
        return (f"满足 {cons} 的最低新增财政支出方案：{levers}；新增支出 {cost:,.1f} 百万元；复核（{scale}）：{probs}。\n"
                f"Cheapest package meeting {cons}: {levers}; extra fiscal cost {cost:,.1f} million yuan; "
                f"re-checked ({scale}): {probs}.\nScenario file: {result.winner_file}")
    best = best_reached(result.trials, spec)
    reached = "; ".join(f"P({k}) {b['probability']:.0%} at {b['extra_cost_yuan'] / 1e6:,.1f} million yuan"
                        for k, b in best.items())
    reached_zh = "；".join(f"P({k}) 最高 {b['probability']:.0%}，新增支出 {b['extra_cost_yuan'] / 1e6:,.1f} 百万元"
                          for k, b in best.items())
    why = ("no package in the ranges met them in the search" if not result.feasible_in_search else
           "packages that met them in the search did not at the re-check")
    why_zh = "搜索范围内没有满足约束的方案" if not result.feasible_in_search else "搜索中满足约束的方案在复核中未能满足"
    return (f"没有找到满足 {cons} 的方案：{why_zh}。搜索中达到的最高概率：{reached_zh}。\n"
            f"No package meets {cons}: {why}. Best reached in the search: {reached}. "
            f"Closest candidate re-checked ({scale}) in {result.directory / 'design' / 'recheck.csv'}.")
