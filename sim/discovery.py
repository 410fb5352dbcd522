"""Scenario discovery: where in the uncertain space a target is met (PRIM, Friedman and Fisher 1999).

The Patient Rule Induction Method finds a box (a range of each parameter) in which the share of
runs meeting a target (the box's *density*) is high, while it holds many of the runs that meet
it (its *coverage*, Bryant and Lempert 2010). Peeling removes, step by step, the slice of
``PEEL_ALPHA`` of the box's runs at one end of one parameter that leaves the highest density,
down to ``MIN_MASS`` of the runs; the trajectory is the coverage-density trade-off. The box
chosen is the first (widest) one with coverage at least ``MIN_COVERAGE`` whose density is within
``MIN_GAIN`` of the densest such box (later peels chase noise); pasting then widens it while
density rises, and restrictions that do not raise density by ``MIN_GAIN`` or whose quasi-p-value
(Bryant and Lempert 2010) is not below ``P_LEVEL`` are dropped, so that the box reads as a short
sentence of what the runs support.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InputError
from .runner import CSV_ENCODING, free_name

PEEL_ALPHA = 0.05     # share of the box's runs removed per peel (Friedman and Fisher's 0.05-0.10)
MIN_MASS = 0.05       # peeling stops when the box holds fewer than this share of all runs
MIN_COVERAGE = 0.5    # the box reported holds at least half of the runs that meet the target
MIN_GAIN = 0.02       # density (/1) a restriction or a further peel must add to be kept
P_LEVEL = 0.05        # a restriction is kept only if its quasi-p-value (Bonferroni) is below this
MIN_RUNS = 50         # fewer runs give boxes of a handful of points


@dataclass
class Box:
    """A box: per-parameter limits, and its coverage, density and mass (/1)."""

    low: pd.Series
    high: pd.Series
    coverage: float
    density: float
    mass: float

    def restricted(self, X):
        """The parameters whose limits cut the data's range."""
        return [c for c in X.columns if self.low[c] > X[c].min() or self.high[c] < X[c].max()]


def _inside(X, low, high):
    return np.all((X >= low) & (X <= high), axis=1)


def _stats(inside, y):
    n_in = inside.sum()
    density = y[inside].mean() if n_in else 0.0
    return y[inside].sum() / max(y.sum(), 1), density, n_in / len(y)


def peel(X, y, alpha=PEEL_ALPHA, min_mass=MIN_MASS):
    """Peeling trajectory: a list of (low, high) arrays, the full box first."""
    V = X.to_numpy(float)
    low, high = V.min(axis=0), V.max(axis=0)
    boxes = [(low.copy(), high.copy())]
    inside = np.ones(len(y), bool)
    while inside.mean() > min_mass:
        best = None
        for j in range(V.shape[1]):
            x = V[inside, j]
            for side, cut in (("low", np.quantile(x, alpha)), ("high", np.quantile(x, 1 - alpha))):
                keep = inside & ((V[:, j] > cut) if side == "low" else (V[:, j] < cut))
                if keep.sum() == inside.sum() or keep.sum() < 1:
                    continue  # ties: this peel removes nothing
                density = y[keep].mean()
                if best is None or density > best[0]:
                    best = (density, j, side, cut, keep)
        if best is None or best[4].mean() < min_mass:
            break
        _, j, side, cut, inside = best
        if side == "low":
            low[j] = V[inside, j].min()
        else:
            high[j] = V[inside, j].max()
        boxes.append((low.copy(), high.copy()))
    return boxes


def paste(X, y, low, high, alpha=PEEL_ALPHA):
    """Widen the box one end at a time by about ``alpha`` of its runs while density rises."""
    V = X.to_numpy(float)
    lo_all, hi_all = V.min(axis=0), V.max(axis=0)
    low, high = low.copy(), high.copy()
    while True:
        inside = _inside(V, low, high)
        density = y[inside].mean()
        step = max(1, int(round(alpha * inside.sum())))
        best = None
        for j in range(V.shape[1]):
            others = _inside(np.delete(V, j, axis=1), np.delete(low, j), np.delete(high, j))
            for side in ("low", "high"):
                cand = np.sort(V[others & ((V[:, j] < low[j]) if side == "low" else (V[:, j] > high[j])), j])
                if not len(cand):
                    continue
                edge = cand[-min(step, len(cand))] if side == "low" else cand[min(step, len(cand)) - 1]
                lo, hi = low.copy(), high.copy()
                (lo if side == "low" else hi)[j] = edge
                d = y[_inside(V, lo, hi)].mean()
                if d > density and (best is None or d > best[0]):
                    best = (d, lo, hi)
        if best is None:
            return low, high
        _, low, high = best
        low, high = np.maximum(low, lo_all), np.minimum(high, hi_all)


def quasi_p(inside, wider, y):
    """Bryant and Lempert's quasi-p-value of a restriction: the binomial chance of the box's
    count of runs meeting the target, or more, if the box had the density of the box without it."""
    return float(stats.binom.sf(y[inside].sum() - 1, inside.sum(), y[wider].mean()))


def simplify(X, y, low, high, min_gain=MIN_GAIN, p_level=P_LEVEL):
    """Drop restrictions, weakest first, while one adds less than ``min_gain`` density or has a
    quasi-p-value above ``p_level`` (Bonferroni over the restrictions left)."""
    V = X.to_numpy(float)
    lo_all, hi_all = V.min(axis=0), V.max(axis=0)
    low, high = low.copy(), high.copy()
    while True:
        inside = _inside(V, low, high)
        restricted = [j for j in range(V.shape[1]) if low[j] > lo_all[j] or high[j] < hi_all[j]]
        weakest = None
        for j in restricted:
            lo, hi = low.copy(), high.copy()
            lo[j], hi[j] = lo_all[j], hi_all[j]
            wider = _inside(V, lo, hi)
            p, gain = quasi_p(inside, wider, y), y[inside].mean() - y[wider].mean()
            if (gain < min_gain or p * len(restricted) > p_level) and (weakest is None or p > weakest[0]):
                weakest = (p, j)
        if weakest is None:
            return low, high
        low[weakest[1]], high[weakest[1]] = lo_all[weakest[1]], hi_all[weakest[1]]


def prim(X, y, alpha=PEEL_ALPHA, min_mass=MIN_MASS, min_coverage=MIN_COVERAGE):
    """PRIM's box for ``y`` over ``X``, and the peeling trajectory.

    Parameters
    ----------
    X : pandas.DataFrame
        Runs x parameters.
    y : array of bool
        Whether each run meets the target.

    Returns
    -------
    box : Box
    trajectory : pandas.DataFrame
        ``step, coverage, density, mass, restricted`` along the peeling.
    """
    y = np.asarray(y, bool)
    V = X.to_numpy(float)
    rows = []
    boxes = peel(X, y, alpha, min_mass)
    for k, (lo, hi) in enumerate(boxes):
        cov, dens, mass = _stats(_inside(V, lo, hi), y)
        rows.append({"step": k, "coverage": cov, "density": dens, "mass": mass,
                     "restricted": int(((lo > V.min(axis=0)) | (hi < V.max(axis=0))).sum())})
    trajectory = pd.DataFrame(rows)
    ok = trajectory[trajectory.coverage >= min_coverage]
    k = int(ok[ok.density >= ok.density.max() - MIN_GAIN].step.iloc[0])
    trajectory["chosen"] = trajectory.step == k
    low, high = simplify(X, y, *paste(X, y, *boxes[k], alpha))
    cov, dens, mass = _stats(_inside(V, low, high), y)
    return Box(pd.Series(low, X.columns), pd.Series(high, X.columns), cov, dens, mass), trajectory


def sentences(box, X, target, labels=None):
    """The box as a sentence in Chinese and in English."""
    labels = labels or {}
    zh, en = [], []
    for c in box.restricted(X):
        name_zh, name_en = labels.get(c, (c, c))
        lo_cut, hi_cut = box.low[c] > X[c].min(), box.high[c] < X[c].max()
        if lo_cut and hi_cut:
            zh.append(f"{name_zh}在{box.low[c]:.4g}至{box.high[c]:.4g}之间")
            en.append(f"{name_en} is between {box.low[c]:.4g} and {box.high[c]:.4g}")
        elif lo_cut:
            zh.append(f"{name_zh}≥{box.low[c]:.4g}")
            en.append(f"{name_en} >= {box.low[c]:.4g}")
        else:
            zh.append(f"{name_zh}≤{box.high[c]:.4g}")
            en.append(f"{name_en} <= {box.high[c]:.4g}")
    if not zh:
        return (f"没有找到比全部运行更容易达成{target}的参数区域（全部运行中{box.density:.0%}达成）。",
                f"No region of the parameters meets {target} more often than all runs do ({box.density:.0%}).")
    return (f"在{'且'.join(zh)}的运行中，{target}达成的比例为{box.density:.0%}；这些运行占全部达成{target}运行的"
            f"{box.coverage:.0%}（占全部运行的{box.mass:.0%}）。",
            f"{target} is met in {box.density:.0%} of runs where {' and '.join(en)}; those runs hold "
            f"{box.coverage:.0%} of all runs that meet it ({box.mass:.0%} of all runs).")


def outcomes(run_dir, tree, target):
    """The ensemble's draws and whether each replication meets ``target`` (``T1``-``T7``)."""
    from .sensitivity import scenario_tree
    from .targets import evaluate, read_ensemble
    record, _ = read_ensemble(run_dir)
    if record["replications"] < MIN_RUNS:
        raise InputError(run_dir, "replications", f"PRIM needs at least {MIN_RUNS} replications, the ensemble "
                         f"has {record['replications']}: run it again with --replications {MIN_RUNS}")
    results = evaluate(run_dir, scenario_tree(run_dir, tree))
    known = [t.key for t in results.targets]
    if target not in known:
        raise InputError(run_dir, "--target", f"no target {target!r}; known: {', '.join(known)}")
    met = next(t.met for t in results.targets if t.key == target)
    draws = pd.read_csv(run_dir / "draws.csv", index_col="replication", encoding=CSV_ENCODING)
    return draws.loc[:, draws.nunique() > 1], np.asarray(met, bool)


def discover(run_dir, tree, target):
    """PRIM on a finished ensemble; returns (box table, trajectory), nothing written."""
    X, met = outcomes(run_dir, tree, target)
    if met.all() or not met.any():
        raise InputError(run_dir, "--target", f"{target} is met in {met.mean():.0%} of the runs: there is no box to "
                         "find (PRIM needs runs that meet it and runs that do not)")
    box, trajectory = prim(X, met)
    labels = {p: (tree[p].metadata.get("label", {}).get("zh", p), tree[p].metadata.get("label", {}).get("en", p))
              for p in X.columns if p in tree.parameters}
    zh, en = sentences(box, X, target, labels)
    rows = [{"target": target, "parameter": c, "low": box.low[c], "high": box.high[c],
             "range_low": X[c].min(), "range_high": X[c].max(), "coverage": box.coverage,
             "density": box.density, "mass": box.mass, "base_rate": met.mean(),
             "sentence_zh": zh, "sentence_en": en} for c in box.restricted(X)] or [
        {"target": target, "parameter": "", "coverage": box.coverage, "density": box.density, "mass": box.mass,
         "base_rate": met.mean(), "sentence_zh": zh, "sentence_en": en}]
    return pd.DataFrame(rows), trajectory.assign(target=target)


def write(run_dir, boxes, trajectory):
    """Write ``discovery.csv`` (never over another), the trajectory and the chart in zh and en."""
    from pathlib import Path

    from . import storage
    from .charts import ChartInputs
    from .charts import discovery as chart
    from .charts.style import save
    run_dir = Path(run_dir)
    out = free_name(run_dir, "discovery", ".csv")
    target = boxes.target.iloc[0]
    for lang in ("zh", "en"):
        stem = free_name(run_dir / "charts", f"{chart.NAME}_{target}_{lang}", ".png").with_suffix("")
        save(*chart.draw(ChartInputs(discovery=trajectory), lang), stem)
    storage.write_csv(boxes, out, overwrite=False, index=False, encoding=CSV_ENCODING, float_format="%.6g")
    return out


def run_command(run_dir, tree, target):
    """``sim discover``: find, write and return the sentences."""
    boxes, trajectory = discover(run_dir, tree, target)
    out = write(run_dir, boxes, trajectory)
    return f"{boxes.sentence_zh.iloc[0]}\n{boxes.sentence_en.iloc[0]}\nwritten to {out}"
