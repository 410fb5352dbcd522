"""Rolling-origin backtest pooled over the series, interval calibration and the model choice."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .models import ALPHA, ALPHA_WIDE, DEFAULT_MODELS, _z, crps_normal, growth_forecasts, pooled_phi

MAX_HORIZON = 4        # backtest horizons 1..4 years (the plans run 2021 -> 2025)
MIN_GROWTHS = 1        # an origin needs this many past growths (the naive and the mean need one)
MIN_OBS = 3            # a series is forecast only with at least three observed years (two growths)
MIN_SPREAD = 2         # growths a sample sd needs (ddof=1); a series that is forecast always has them
POOLED = "pooled"      # the ``series`` value of the rows pooled over every series
_CELL_COLUMNS = ["series", "origin", "horizon", "year", "model", "actual", "forecast", "error",
                 "spread"]
BACKTEST_COLUMNS = ["series", "model", "horizon", "n", "coverage80", "coverage95", "score"]


def growth_panel(levels):
    """Yearly log growths of each series.

    Parameters
    ----------
    levels : dict of str to pandas.DataFrame
        Series key -> rows with consecutive ``year`` and ``value_yuan`` (yuan per person per year).

    Returns
    -------
    dict of str to pandas.Series
        Key -> log growth indexed by the year it ends in.
    """
    out = {}
    for key, rows in levels.items():
        log_y = pd.Series(np.log(rows["value_yuan"].to_numpy(float)), index=rows["year"].to_numpy(int))
        out[key] = log_y.diff().dropna()
    return out


def rolling_backtest(levels, models=DEFAULT_MODELS, max_horizon=MAX_HORIZON):
    """Forecast every series from every origin the data allow, 1 to ``max_horizon`` years ahead.

    Each origin uses only the data up to it: the series' own past growths (for the forecasts and
    for the growth spread that floors the interval) and, for the pooled AR(1), the growths of
    every series up to the origin year.

    Returns
    -------
    pandas.DataFrame
        One row per series, origin, horizon and model: ``actual`` and ``forecast`` are the log
        change from the origin year (log points), ``error = actual - forecast``; ``spread`` is
        ``growth_spread`` of the series' growths up to the origin (log points per year).
    """
    panel = growth_panel(levels)
    rows = []
    for key, g in panel.items():
        years = g.index.to_numpy()
        for i in range(MIN_GROWTHS - 1, len(g) - 1):
            origin = int(years[i])
            h = min(max_horizon, len(g) - 1 - i)
            phi = pooled_phi([p[p.index <= origin].to_numpy() for p in panel.values()
                              if (p.index <= origin).sum() >= 2])
            actual = np.cumsum(g.to_numpy()[i + 1: i + 1 + h])
            spread = growth_spread(g.to_numpy()[: i + 1])
            for name, f in growth_forecasts(g.to_numpy()[: i + 1], phi, h, models).items():
                fc = np.cumsum(f)
                rows += [{"series": key, "origin": origin, "horizon": k + 1, "year": origin + k + 1,
                          "model": name, "actual": actual[k], "forecast": fc[k],
                          "error": actual[k] - fc[k], "spread": spread} for k in range(h)]
    return pd.DataFrame(rows, columns=_CELL_COLUMNS)


def horizon_sds(errors, horizons):
    """Predictive sd of the log level by horizon from backtest errors.

    Parameters
    ----------
    errors : pandas.DataFrame
        Columns ``horizon, error`` (log points).
    horizons : int
        Number of horizons wanted.

    Returns
    -------
    numpy.ndarray
        ``horizons`` sds: the root mean square error at each backtested horizon (bias counts as
        error), made non-decreasing (uncertainty about a later year cannot be smaller than about
        an earlier one); beyond the longest backtested horizon the variance grows in proportion to
        the horizon.
    """
    rms = errors.groupby("horizon")["error"].apply(lambda e: float(np.sqrt(np.mean(e ** 2))))
    rms = rms.reindex(range(1, int(rms.index.max()) + 1)).ffill()
    sd = np.maximum.accumulate(rms.to_numpy())
    last = len(sd)
    extra = sd[-1] * np.sqrt(np.arange(last + 1, horizons + 1) / last)
    return np.r_[sd, extra][:horizons]


def growth_spread(g):
    """Sample sd (ddof=1) of a series' yearly log growths, log points per year.

    It estimates the sd of the one-year error of a forecaster who knows the series' mean growth
    and nothing else; NaN with fewer than ``MIN_SPREAD`` growths (no spread can be measured).
    """
    g = np.asarray(g, float)
    return float(np.std(g, ddof=1)) if len(g) >= MIN_SPREAD else np.nan


def predictive_sd(pooled, spread, horizon):
    """The interval rule: predictive sd of log income ``horizon`` years after the origin.

    Parameters
    ----------
    pooled : float or numpy.ndarray
        ``horizon_sds`` of the pooled backtest errors at ``horizon`` (log points).
    spread : float or numpy.ndarray
        ``growth_spread`` of the series' growths in the information set (NaN: none measured).
    horizon : int or numpy.ndarray
        Years ahead (1 = the year after the origin).

    Returns
    -------
    float or numpy.ndarray
        The larger of the pooled sd and ``spread * sqrt(horizon)``: an interval never claims more
        foresight than the series' own year-to-year spread of growth supports (the spread of an
        h-year sum of independent growths grows with sqrt(h), as ``horizon_sds`` lets the variance
        grow beyond the backtested horizons). Where no spread is measured, the pooled sd alone.
    """
    return np.fmax(pooled, np.asarray(spread, float) * np.sqrt(horizon))


def score_cells(cells):
    """Score every cell with the interval rule, calibrated on the other series (leave one out).

    A cell of series s at horizon h gets the normal predictive N(forecast, sd^2) with sd from
    ``predictive_sd``: the pooled part from ``horizon_sds`` of the same model's errors on every
    other series (the calibration never sees the series it is checked on), the floor from the
    series' own growth spread up to the origin (the cell's ``spread``). The forecasts issued by
    ``sim.forecast.fit_all`` use the same rule, so the coverage is that of the intervals issued.

    Returns
    -------
    pandas.DataFrame
        ``cells`` with ``sd``, ``inside80``, ``inside95`` and ``crps`` (log points).
    """
    parts = []
    for (model, key), c in cells.groupby(["model", "series"], sort=False):
        others = cells[(cells["model"] == model) & (cells["series"] != key)]
        h = c["horizon"].to_numpy()
        pooled = horizon_sds(others, int(h.max()))[h - 1]
        sd = predictive_sd(pooled, c["spread"].to_numpy(float), h)
        z = np.abs(c["error"].to_numpy()) / sd
        parts.append(c.assign(sd=sd, inside80=z <= _z(ALPHA), inside95=z <= _z(ALPHA_WIDE),
                              crps=crps_normal(c["forecast"].to_numpy(), sd, c["actual"].to_numpy())))
    return pd.concat(parts, ignore_index=True)


def summarise(scored):
    """Coverage and mean CRPS by series (and pooled), model and horizon, with the cell counts.

    Returns
    -------
    pandas.DataFrame
        Columns ``BACKTEST_COLUMNS``; ``score`` is the mean CRPS in log points (lower is better).
    """
    def table(df, series):
        g = df.groupby(["model", "horizon"], sort=False)
        return pd.DataFrame({"n": g.size(), "coverage80": g["inside80"].mean(),
                             "coverage95": g["inside95"].mean(), "score": g["crps"].mean()}
                            ).reset_index().assign(series=series)
    parts = [table(scored, POOLED)] + [table(c, k) for k, c in scored.groupby("series", sort=False)]
    out = pd.concat(parts, ignore_index=True)[BACKTEST_COLUMNS]
    return out.sort_values(["series", "model", "horizon"], key=_pooled_first).reset_index(drop=True)


def _pooled_first(col):
    return col.map(lambda v: (v != POOLED, v)) if col.name == "series" else col


def common_cells(scored):
    """The cells (series, origin, horizon) where every model has a forecast."""
    key = ["series", "origin", "horizon"]
    counts = scored.groupby(key)["model"].transform("size")
    return scored[counts == scored["model"].nunique()]


def choose(scored):
    """The model with the lowest mean CRPS over the cells common to all models.

    Returns
    -------
    name : str
    ranking : pandas.Series
        Mean CRPS per model on the common cells, best first.
    """
    ranking = common_cells(scored).groupby("model")["crps"].mean().sort_values()
    return str(ranking.index[0]), ranking


def pairwise(scored, model, benchmark="naive"):
    """Mean CRPS of ``model`` and ``benchmark`` on the cells both have: (model, benchmark, n)."""
    a = scored[scored["model"] == model].set_index(["series", "origin", "horizon"])["crps"]
    b = scored[scored["model"] == benchmark].set_index(["series", "origin", "horizon"])["crps"]
    both = a.index.intersection(b.index)
    return float(a[both].mean()), float(b[both].mean()), len(both)
