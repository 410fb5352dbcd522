"""Global sensitivity: which uncertain parameters decide the figures behind T1-T3 (SALib).

Given-data methods (delta, PAWN, RBD-FAST) read an ensemble's own Latin hypercube draws
(``draws.csv``) and the per-replication figures of the targets, so they need no extra runs:
the moment-independent delta of Borgonovo (2007), PAWN's median Kolmogorov-Smirnov distance
(Pianosi and Wagener 2015) and the first-order index of RBD-FAST (Tarantola et al. 2006). Each
index has a bootstrap confidence interval. RBD-FAST is SALib's; delta and PAWN are computed here,
vectorised over parameters, because SALib 1.6's take minutes per figure with 100 parameters and a
bootstrap (measured: its delta 14 s for 6 parameters and 10 resamples, its PAWN 3.7 s per call):
PAWN with SALib's slices and statistic (a test checks they agree), delta with
Plischke et al. (2013)'s given-data estimator (equal-count classes, Gaussian kernel densities).
Morris and Sobol' designs, which run their own samples, and the command that writes the table
and its chart (``sim/charts/sensitivity.py``) are in ``sim.sensitivity_designs``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import rbd_fast
from scipy.stats import qmc

from .errors import InputError
from .runner import CSV_ENCODING

# The figures analysed (zh, en): the targets' figures and the 2025 income.
FIGURES = {"T1": ("T1：2022年增长率", "T1: growth in 2022"),
           "T2": ("T2：比全市农村居民增速高出", "T2: growth above Zhongwei rural"),
           "T3": ("T3：两个高于中较小的差距", "T3: smaller 'higher than' margin"),
           "income_2025": ("2025年人均可支配收入", "Per-capita income 2025")}
GIVEN_DATA = ("delta", "pawn", "rbd_fast")
PAWN_SLICES = 10        # PAWN conditions on 10 slices of each parameter (SALib's default)
RBD_HARMONICS = 10      # RBD-FAST's harmonics (SALib's default)
# Fewest replications each method needs: PAWN 10 per slice for a KS distance; RBD-FAST and delta
# 5 per harmonic / kernel class, so that an index is more than noise.
MIN_REPLICATIONS = {"delta": 50, "pawn": PAWN_SLICES * 10, "rbd_fast": RBD_HARMONICS * 5}
BOOTSTRAP = 100         # bootstrap resamples for the confidence intervals
CONF_LEVEL = 0.95       # confidence level of the intervals
Z95 = 1.959964          # normal quantile SALib's half-widths use at CONF_LEVEL
COLUMNS = ["target", "parameter", "index", "ci_low", "ci_high", "method"]
TOP_CHART = 10          # parameters shown per figure (chart, summary)
DUMMY = "(dummy)"       # a parameter nothing depends on: the noise floor of each index
DUMMY_TAG = 0xD0        # entropy tag of the dummy's stream, apart from the ensemble's


def read(run_dir, tree):
    """An ensemble's draws and the per-replication figures (T1-T3 and the 2025 income).

    Returns
    -------
    record : dict
        ``run.json``.
    draws : pandas.DataFrame
        Replication x uncertain parameter (only parameters that vary).
    figures : pandas.DataFrame
        Replication x figure (``FIGURES``).
    """
    from .targets import evaluate
    run_dir = Path(run_dir)
    results = evaluate(run_dir, scenario_tree(run_dir, tree))
    draws = pd.read_csv(run_dir / "draws.csv", index_col="replication", encoding=CSV_ENCODING)
    draws = draws.loc[:, draws.nunique() > 1]
    values = {t.key: t.values for t in results.targets if t.key in FIGURES}
    income = pd.read_csv(run_dir / "income_yearly.csv", encoding=CSV_ENCODING)
    income = income[(income.group == "all") & (income.component == "disposable") & (income.year == 2025)]
    values["income_2025"] = income.set_index("replication")["yuan_per_person"].sort_index().to_numpy()
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return record, draws, pd.DataFrame(values, index=draws.index)


def scenario_tree(run_dir, tree):
    """The parameter tree of the scenario an ensemble ran (its overrides applied to ``tree``)."""
    import datetime as dt
    record_file = Path(run_dir) / "run.json"
    record = json.loads(record_file.read_text(encoding="utf-8")) if record_file.is_file() else {}
    overrides = record.get("scenario", {}).get("overrides", {})
    return tree.with_values({p: {dt.date.fromisoformat(d): v for d, v in vals.items()}
                             for p, vals in overrides.items()})


def check_replications(replications, methods, where):
    """Fail clearly when an ensemble is too small for a method."""
    for m in methods:
        if m not in MIN_REPLICATIONS:
            raise InputError(where, "--method", f"unknown method {m!r}; allowed: {', '.join(MIN_REPLICATIONS)} "
                             "(or morris or sobol alone: designs that run their own samples)")
        if replications < MIN_REPLICATIONS[m]:
            raise InputError(where, "replications", f"{m} needs at least {MIN_REPLICATIONS[m]} replications, the "
                             f"ensemble has {replications}: run it again with --replications {MIN_REPLICATIONS[m]}")


def _problem(names, X):
    return {"num_vars": len(names), "names": list(names),
            "bounds": [[float(lo), float(hi)] for lo, hi in zip(X.min(axis=0), X.max(axis=0))]}


def pawn_index(X, Y, slices=PAWN_SLICES):
    """PAWN: the median over ``slices`` equal-count slices of each column of ``X`` of the
    Kolmogorov-Smirnov distance between Y in the slice and all Y (as SALib's ``pawn.analyze``,
    whose slices are half-open, so the largest value of each column falls in none)."""
    grid = np.sort(Y)
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        edges = np.nanquantile(X[:, j], np.arange(slices + 1) / slices)
        ks = []
        for s in range(slices):
            inside = (X[:, j] >= edges[s]) & (X[:, j] < edges[s + 1])
            y = np.sort(Y[inside])
            if len(y):
                # KS over both samples' points: the ECDFs jump only there.
                pts = np.concatenate([grid, y])
                ks.append(np.abs(np.searchsorted(grid, pts, side="right") / len(Y)
                                 - np.searchsorted(y, pts, side="right") / len(y)).max())
        out[j] = np.median(ks)
    return out


def _delta_classes(n):
    """Plischke et al. (2013)'s number of classes for ``n`` runs."""
    return max(2, int(np.ceil(n ** (2 / (7 + np.tanh((1500 - n) / 500))))))


def delta_index(X, Y, grid_points=128):
    """Borgonovo's delta by Plischke's estimator: half the class-weighted L1 distance between the
    kernel density of Y and its densities within equal-count classes of each parameter."""
    n = len(Y)
    sd = Y.std()
    if sd == 0:
        return np.zeros(X.shape[1])
    grid = np.linspace(Y.min() - 3 * sd, Y.max() + 3 * sd, grid_points)
    step = grid[1] - grid[0]

    def density(y):
        h = 1.06 * max(y.std(), sd / 10) * len(y) ** -0.2  # Silverman's rule, floored
        return np.exp(-0.5 * ((grid[:, None] - y[None, :]) / h) ** 2).sum(axis=1) / (len(y) * h * np.sqrt(2 * np.pi))

    f = density(Y)
    classes = _delta_classes(n)
    out = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        groups = np.array_split(np.argsort(X[:, j], kind="stable"), classes)
        out[j] = 0.5 * sum(len(g) / n * np.abs(f - density(Y[g])).sum() * step for g in groups)
    return out


def _bootstrapped(estimator, X, Y, rng):
    """Bias-corrected index and basic bootstrap interval: resampling with replacement repeats runs,
    which inflates kernel and KS distances, so the estimate is corrected by the bootstrap bias."""
    index = estimator(X, Y)
    boots = np.array([estimator(X[rows], Y[rows]) for rows in rng.integers(0, len(Y), (BOOTSTRAP, len(Y)))])
    low, high = np.quantile(boots, [(1 - CONF_LEVEL) / 2, (1 + CONF_LEVEL) / 2], axis=0)
    return 2 * index - boots.mean(axis=0), 2 * index - high, 2 * index - low


def _salib(method, problem, X, Y, rng):
    """(index, ci_low, ci_high) per parameter for one given-data method."""
    if method == "rbd_fast":
        r = rbd_fast.analyze(problem, X, Y, M=RBD_HARMONICS, num_resamples=BOOTSTRAP, conf_level=CONF_LEVEL,
                             seed=int(rng.integers(2**31)))
        index, half = np.asarray(r["S1"]), np.asarray(r["S1_conf"])
        return index, index - half, index + half
    return _bootstrapped(delta_index if method == "delta" else pawn_index, X, Y, rng)


def with_dummy(draws, seed):
    """``draws`` with a ``DUMMY`` column of independent uniform draws, on which no figure depends:
    a parameter whose index is not above the dummy's interval is not told apart from noise."""
    u = qmc.LatinHypercube(d=1, rng=np.random.default_rng([DUMMY_TAG, seed])).random(len(draws))[:, 0]
    return draws.copy().assign(**{DUMMY: u})


def noise_floor(table, target, method):
    """The upper end of the dummy's interval for ``target`` and ``method``."""
    row = table[(table.target == target) & (table.method == method) & (table.parameter == DUMMY)]
    return float(row.ci_high.iloc[0]) if len(row) else float("nan")


def given_data(draws, figures, methods=GIVEN_DATA, seed=0):
    """Indices of every figure on every parameter by every given-data method.

    Parameters
    ----------
    draws : pandas.DataFrame
        Replication x parameter.
    figures : pandas.DataFrame
        Replication x figure, same rows.
    methods : sequence of {"delta", "pawn", "rbd_fast"}
    seed : int
        Seed of the bootstrap and the dummy; the table depends on it and the inputs only.

    Returns
    -------
    pandas.DataFrame
        ``target, parameter, index, ci_low, ci_high, method``, each figure's parameters ranked
        by index, highest first, with the ``DUMMY`` row as each one's noise floor.
    """
    draws = with_dummy(draws, seed)
    X = draws.to_numpy(float)
    problem = _problem(draws.columns, X)
    rows = []
    for k, (target, y) in enumerate(figures.items()):
        ok = np.isfinite(y.to_numpy(float))
        for j, m in enumerate(methods):
            rng = np.random.default_rng([seed, k, j])
            index, low, high = _salib(m, problem, X[ok], y.to_numpy(float)[ok], rng)
            rows.append(pd.DataFrame({"target": target, "parameter": draws.columns, "index": index,
                                      "ci_low": low, "ci_high": high, "method": m}))
    table = pd.concat(rows, ignore_index=True)
    return table.sort_values(["target", "method", "index"], ascending=[True, True, False],
                             kind="stable", ignore_index=True)[COLUMNS]


def analyse(run_dir, tree, methods=GIVEN_DATA, seed=0):
    """Given-data sensitivity of a finished ensemble (checked first; nothing is written)."""
    from .targets import read_ensemble
    record, _ = read_ensemble(run_dir)
    if record.get("draws") in ("morris", "sobol"):
        raise InputError(run_dir, "run.json: draws", f"a {record['draws']} design, not Latin hypercube draws: "
                         f"given-data methods need an ensemble of prior draws (`sim run ... --replications R`)")
    check_replications(record["replications"], methods, Path(run_dir))
    if not (Path(run_dir) / "draws.csv").is_file():
        raise InputError(run_dir, "draws.csv", "the ensemble has no parameter draws")
    _, draws, figures = read(run_dir, tree)
    return given_data(draws, figures, methods, seed)


def ranking(table, target, method="delta", top=TOP_CHART):
    """The ``top`` parameters for ``target`` by ``method``, highest index first (no dummy)."""
    t = table[(table.target == target) & (table.method == method) & (table.parameter != DUMMY)]
    t = t.sort_values("index", ascending=False, kind="stable")
    return t if top is None else t.head(top)


def assumption_share(table, tree, target="T1", method="rbd_fast"):
    """Share of the figure's variance explained by parameters marked ``assumption: true``.

    Uses first-order indices (RBD-FAST S1, each a share of the variance) of the parameters whose
    index is above the noise floor (``noise_floor``), so that estimation noise is not summed.

    Returns
    -------
    dict
        ``assumed`` (variance share of assumed parameters), ``sourced`` (of the others),
        ``share_of_explained`` (assumed / (assumed + sourced)), ``above_noise`` (their number).
    """
    t = ranking(table, target, method, top=None)
    t = t[t["index"] > noise_floor(table, target, method)]
    assumed = np.array([bool(tree[p].metadata.get("assumption")) if p in tree.parameters else True
                        for p in t.parameter], dtype=bool)
    a, b = float(t["index"][assumed].sum()), float(t["index"][~assumed].sum())
    return {"assumed": a, "sourced": b, "share_of_explained": a / (a + b) if a + b > 0 else float("nan"),
            "above_noise": len(t)}
