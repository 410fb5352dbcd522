"""Joint draws of the comparator paths: rural with urban, Zhongwei with Ningxia."""
from __future__ import annotations

import numpy as np
import pandas as pd

RHO_LIMIT = 0.99   # |correlation| bound keeping the shock covariance positive definite
# Pairs of series whose shocks are drawn correlated (rural and urban of one area).
PAIRS = (("china_rural", "china_urban"), ("ningxia_rural", "ningxia_urban"))
# Zhongwei's own growth gaps to Ningxia take the Ningxia rural-urban correlation (assumption: one
# observed Zhongwei year gives no residuals of its own).
LINK_PAIR = (("zhongwei_rural", "zhongwei_urban"), ("ningxia_rural", "ningxia_urban"))


def residual_correlations(cells, model, pairs=PAIRS):
    """Correlation of the one-year-ahead backtest errors of two series in the same years.

    Parameters
    ----------
    cells : pandas.DataFrame
        Backtest cells (``sim.forecast.backtest.rolling_backtest``).
    model : str
        The chosen model, whose errors are the forecast's shocks.

    Returns
    -------
    pandas.DataFrame
        ``a, b, rho, n``: the Pearson correlation over the ``n`` origins both series share
        (``rho`` 0 and a note when fewer than three).
    """
    one = cells[(cells["model"] == model) & (cells["horizon"] == 1)]
    wide = one.pivot_table(index="origin", columns="series", values="error")
    rows = []
    for a, b in pairs:
        both = wide[[a, b]].dropna() if {a, b} <= set(wide.columns) else pd.DataFrame()
        rho = float(np.corrcoef(both[a], both[b])[0, 1]) if len(both) >= 3 else 0.0
        rows.append({"a": a, "b": b, "rho": float(np.clip(rho, -RHO_LIMIT, RHO_LIMIT)),
                     "n": len(both)})
    return pd.DataFrame(rows, columns=["a", "b", "rho", "n"])


def _matrix(keys, correlations):
    R = np.eye(len(keys))
    for r in correlations.itertuples():
        if r.a in keys and r.b in keys:
            i, j = keys.index(r.a), keys.index(r.b)
            R[i, j] = R[j, i] = r.rho
    return R


def _correlated(rng, n, h, R):
    """``n`` x ``h`` x k standard normals with correlation ``R`` across the last axis."""
    return rng.standard_normal((n, h, len(R))) @ np.linalg.cholesky(R).T


def _link_correlations(correlations):
    (a, b), (pa, pb) = LINK_PAIR
    rho = correlations[(correlations["a"] == pa) & (correlations["b"] == pb)]["rho"]
    return pd.DataFrame([{"a": a, "b": b, "rho": float(rho.iloc[0]) if len(rho) else 0.0, "n": 0}])


def joint_log_paths(forecasts, keys, n, rng, start):
    """Log income paths of several comparators drawn together, one row per draw.

    Parameters
    ----------
    forecasts : dict of str to ComparatorForecast
        As returned by ``sim.forecast.fit_all`` (its ``correlations`` attribute, when present,
        sets the shock correlations; otherwise the series are drawn independently).
    keys : sequence of str
        The series wanted.
    n : int
        Number of draws.
    rng : numpy.random.Generator
    start : int
        First year of every path; observed years are data.

    Returns
    -------
    dict of str to numpy.ndarray
        Key -> ``n`` x (years ``start`` .. end year) log incomes. A linked series (Zhongwei)
        follows its parent's drawn growth plus its own gap, the gaps of Zhongwei rural and urban
        correlated like Ningxia's rural and urban shocks.
    """
    corr = getattr(forecasts, "correlations", pd.DataFrame(columns=["a", "b", "rho", "n"]))
    linked = [k for k in keys if forecasts[k].parent is not None]
    base = sorted(set(k for k in keys if k not in linked) | {forecasts[k].parent.key for k in linked})
    h = max(len(forecasts[k].years) for k in base)
    z = _correlated(rng, n, h, _matrix(base, corr))
    own = {k: forecasts[k].log_paths(z[:, :len(forecasts[k].years), i]) for i, k in enumerate(base)}
    out = {k: _from(forecasts[k], own[k], start) for k in base}
    if linked:
        u = _correlated(rng, n, h, _matrix(linked, _link_correlations(corr)))
        for i, k in enumerate(linked):
            f = forecasts[k]
            parent = _from(f.parent, own[f.parent.key], f.last_year)
            steps = np.diff(parent, axis=1)[:, :len(f.years)] + f.shock_sd * u[:, :len(f.years), i]
            out[k] = _from(f, np.log(f.last_value) + np.cumsum(steps, axis=1), start)
    return {k: out[k] for k in keys}


def _from(f, drawn, start):
    obs = f.observed_from(start)
    return np.hstack([np.broadcast_to(obs, (len(drawn), len(obs))), drawn])
