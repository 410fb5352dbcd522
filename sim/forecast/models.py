"""Candidate forecasting models on log income, each with forecast() and simulate()."""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.structural import UnobservedComponents

ALPHA = 0.2            # 80% prediction intervals
_FAIL = (ValueError, ArithmeticError, np.linalg.LinAlgError)


class _DriftFit:
    """Random walk with drift on log income, drift uncertainty included."""

    def __init__(self, log_y):
        g = np.diff(log_y)
        if len(g) < 2:
            raise ValueError("random walk with drift needs at least 3 years")
        self.last, self.drift, self.s, self.m = log_y[-1], g.mean(), g.std(ddof=1), len(g)

    def forecast(self, h):
        k = np.arange(1, h + 1)
        return self.last + k * self.drift, self.s * np.sqrt(k + k ** 2 / self.m)

    def simulate(self, h, n, rng):
        drift = rng.normal(self.drift, self.s / np.sqrt(self.m), size=(n, 1))
        return self.last + np.cumsum(drift + rng.normal(0.0, self.s, size=(n, h)), axis=1)


class _LastGrowthFit:
    """Last log growth repeated; growth is a random walk with sd from past growth changes."""

    def __init__(self, log_y):
        g = np.diff(log_y)
        if len(g) < 2:
            raise ValueError("last growth needs at least 3 years")
        self.last, self.g, self.s = log_y[-1], g[-1], np.sqrt(np.mean(np.diff(g) ** 2))

    def forecast(self, h):
        k = np.arange(1, h + 1)
        return self.last + k * self.g, self.s * np.sqrt(np.cumsum(k ** 2))

    def simulate(self, h, n, rng):
        growth = self.g + np.cumsum(rng.normal(0.0, self.s, size=(n, h)), axis=1)
        return self.last + np.cumsum(growth, axis=1)


class _StateSpaceFit:
    """A fitted statsmodels state-space model (UnobservedComponents, ARIMA)."""

    def __init__(self, res):
        self.res = res

    def forecast(self, h):
        f = self.res.get_forecast(h)
        return np.asarray(f.predicted_mean, float), np.sqrt(np.asarray(f.var_pred_mean, float))

    def simulate(self, h, n, rng):
        sim = self.res.simulate(h, anchor="end", repetitions=n, rng=rng)
        return np.asarray(sim, float).reshape(h, n).T


class _ETSFit(_StateSpaceFit):
    """A fitted statsmodels ETSModel."""

    def forecast(self, h):
        nobs = self.res.nobs
        p = self.res.get_prediction(start=nobs, end=nobs + h - 1)
        return np.asarray(p.predicted_mean, float), np.sqrt(np.asarray(p.forecast_variance, float))


def _fit_uc(log_y, spec="smooth trend"):
    return _StateSpaceFit(UnobservedComponents(log_y, spec).fit(disp=False))


def _fit_arima(log_y):
    return _StateSpaceFit(ARIMA(log_y, order=(1, 1, 0), trend="t").fit())


def _fit_ets(log_y, damped=False):
    model = ETSModel(pd.Series(log_y), error="add", trend="add", damped_trend=damped)
    return _ETSFit(model.fit(disp=False))


@dataclass(frozen=True)
class ModelSpec:
    """A candidate model: name, description, complexity rank (ties go to the lower) and fitter."""

    name: str
    label: str
    complexity: int
    fit: Callable = field(repr=False)


MODELS = {m.name: m for m in [
    ModelSpec("rw_drift", "random walk with drift on log income (naive)", 1, _DriftFit),
    ModelSpec("last_growth", "last log growth repeated (naive)", 2, _LastGrowthFit),
    ModelSpec("uc_smooth_trend", "UnobservedComponents 'smooth trend' on log income", 3, _fit_uc),
    ModelSpec("arima_110_drift", "ARIMA(1,1,0) with drift on log income (AR(1) on log growth)",
              4, _fit_arima),
    ModelSpec("ets_aan", "ETS(A,A,N) on log income", 5, _fit_ets),
    ModelSpec("uc_local_linear_trend", "UnobservedComponents 'local linear trend' on log income",
              6, lambda y: _fit_uc(y, "local linear trend")),
    ModelSpec("ets_aadn", "ETS(A,Ad,N), damped trend, on log income", 6,
              lambda y: _fit_ets(y, damped=True)),
]}
DEFAULT_MODELS = ("rw_drift", "last_growth", "uc_smooth_trend", "arima_110_drift", "ets_aan")


@contextlib.contextmanager
def _captured():
    """Record warnings (statsmodels ConvergenceWarning and the like) instead of showing them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _fit_forecast(spec, log_y, h):
    """Fit one model, forecast ``h`` years: (fitted, mu, sd, warning texts); raises on failure."""
    with _captured() as caught:
        fitted = spec.fit(np.asarray(log_y, float))
        mu, sd = fitted.forecast(h)
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sd))):
        raise ValueError(f"{spec.name}: non-finite forecast")
    return fitted, mu, sd, sorted({f"{w.category.__name__}: {w.message}" for w in caught})


def _z(alpha):
    return stats.norm.ppf(1 - alpha / 2)
