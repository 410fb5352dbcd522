"""Candidate models of yearly log growth, fit for short annual series, and the normal CRPS."""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy import stats
from statsmodels.tsa.statespace.structural import UnobservedComponents

ALPHA = 0.2            # 80% prediction intervals (the main ones); the wide ones are 95%
ALPHA_WIDE = 0.05
MEAN_K = 3             # years of growth the recent-mean model averages (fewer where fewer exist)
MIN_AR_PAIRS = 5       # pooled AR(1) needs this many (growth, previous growth) pairs, else phi = 0
PHI_LIMIT = 0.95       # |phi| bound keeping the pooled AR(1) stationary (a short panel can overshoot)
MIN_LOCAL_LEVEL = 3    # growths the local-level model needs (maximum likelihood on fewer is noise)
_FAIL = (ValueError, ArithmeticError, np.linalg.LinAlgError)


@contextlib.contextmanager
def _captured():
    """Record warnings (statsmodels ConvergenceWarning and the like) instead of showing them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _z(alpha):
    return stats.norm.ppf(1 - alpha / 2)


def naive(g, phi, h):
    """Last growth carried forward: the benchmark every candidate must beat."""
    return np.full(h, g[-1])


def recent_mean(g, phi, h):
    """Mean log growth over the last ``MEAN_K`` years."""
    return np.full(h, g[-MEAN_K:].mean())


def ar1_pooled(g, phi, h):
    """AR(1) on growth about the series' own mean, ``phi`` pooled over the series (see
    ``pooled_phi``): g[t+k] - m = phi^k (g[t] - m)."""
    m = g.mean()
    return m + phi ** np.arange(1, h + 1) * (g[-1] - m)


def local_level(g, phi, h):
    """``UnobservedComponents(growth, "local level")`` by maximum likelihood: growth is a random
    walk seen with noise, so the forecast is the smoothed level (exponential smoothing)."""
    if len(g) < MIN_LOCAL_LEVEL:
        raise ValueError(f"local level needs {MIN_LOCAL_LEVEL} growths, has {len(g)}")
    with _captured():
        res = UnobservedComponents(np.asarray(g, float), "local level").fit(disp=False)
        out = np.asarray(res.forecast(h), float)
    if not np.all(np.isfinite(out)):
        raise ValueError("local level: non-finite forecast")
    return out


@dataclass(frozen=True)
class ModelSpec:
    """A candidate: name, description and growth forecaster ``f(growths, phi, h) -> h growths``."""

    name: str
    label: str
    forecast: Callable = field(repr=False)


MEMBERS = ("recent_mean", "ar1_pooled", "local_level")
MODELS = {m.name: m for m in [
    ModelSpec("naive", "last log growth carried forward (benchmark)", naive),
    ModelSpec("recent_mean", f"mean log growth of the last {MEAN_K} years", recent_mean),
    ModelSpec("ar1_pooled", "AR(1) on log growth, phi pooled across the series", ar1_pooled),
    ModelSpec("local_level", "UnobservedComponents local level on log growth", local_level),
]}
COMBINATION = "combination"
DEFAULT_MODELS = ("naive",) + MEMBERS + (COMBINATION,)
LABELS = {**{k: m.label for k, m in MODELS.items()},
          COMBINATION: "equal-weight mean of " + ", ".join(MEMBERS)
          + " (the members that can be fitted at the origin)"}


def growth_forecasts(g, phi, h, models=DEFAULT_MODELS):
    """Every candidate's forecast of the next ``h`` log growths.

    Parameters
    ----------
    g : numpy.ndarray
        Past yearly log growths of one series, oldest first (at least one).
    phi : float
        The pooled AR(1) coefficient for this origin.
    h : int
        Years ahead.
    models : sequence of str

    Returns
    -------
    dict of str to numpy.ndarray
        Model name -> ``h`` growth forecasts; a model that cannot be fitted here is absent.
    """
    g = np.asarray(g, float)
    out = {}
    for name in MODELS:
        try:
            out[name] = MODELS[name].forecast(g, phi, h)
        except _FAIL:
            continue
    members = [out[m] for m in MEMBERS if m in out]
    if members:
        out[COMBINATION] = np.mean(members, axis=0)
    return {k: v for k, v in out.items() if k in models}


def pooled_phi(panel):
    """AR(1) coefficient of growth about each series' own mean, pooled over series.

    Parameters
    ----------
    panel : list of numpy.ndarray
        Each series' log growths (only those in the information set of the origin).

    Returns
    -------
    float
        Least squares through the origin on the stacked (previous, current) deviation pairs,
        bounded to ``[-PHI_LIMIT, PHI_LIMIT]``; 0 with fewer than ``MIN_AR_PAIRS`` pairs.
    """
    prev, cur = [np.empty(0)], [np.empty(0)]
    for g in panel:
        d = np.asarray(g, float) - np.mean(g)
        prev.append(d[:-1])
        cur.append(d[1:])
    prev, cur = np.concatenate(prev), np.concatenate(cur)
    if len(prev) < MIN_AR_PAIRS or not np.any(prev):
        return 0.0
    return float(np.clip(prev @ cur / (prev @ prev), -PHI_LIMIT, PHI_LIMIT))


def crps_normal(mu, sd, y):
    """CRPS of a normal forecast N(mu, sd^2) at ``y`` (closed form; same units as ``y``).

    Gneiting and Raftery (2007), "Strictly proper scoring rules, prediction, and estimation",
    JASA 102(477), eq. 21: sd [z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi)], z = (y - mu) / sd.
    """
    z = (np.asarray(y) - mu) / sd
    return sd * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
