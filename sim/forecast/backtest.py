"""Rolling-origin backtest of the candidate models, their ranking and interval calibration."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .models import _FAIL, ALPHA, DEFAULT_MODELS, MODELS, _fit_forecast, _z

FIRST_ORIGIN = 2017    # first backtest origin year
MAX_HORIZON = 4        # backtest horizons 1..4 years
MIN_OBS = 4            # years of data a backtest fit needs (3 growths)
TIE_TOL = 0.001        # mean APEs within 0.1 percentage point are a tie
MIN_CELLS = 6          # fewer backtest cells than this cannot choose: the simplest model is used
_CELL_COLUMNS = ["origin", "horizon", "year", "model", "actual", "mean", "pi_lower", "pi_upper",
                 "ape", "covered", "warnings", "error"]
_BACKTEST_COLUMNS = ["model", "horizon", "ape_mean", "coverage80", "n"]


def rolling_backtest(years, values, models=DEFAULT_MODELS, first_origin=FIRST_ORIGIN,
                     max_horizon=MAX_HORIZON, min_obs=MIN_OBS):
    """Rolling-origin backtest of the candidate models on one series.

    Parameters
    ----------
    years : array of int
        Consecutive years.
    values : array of float
        Income, yuan per person per year.
    models : sequence of str
        Names in ``MODELS``.
    first_origin : int
        First origin year; origins also need ``min_obs`` years of data up to them.
    max_horizon : int
        Longest horizon, years.
    min_obs : int
        Years of data a fit needs.

    Returns
    -------
    pandas.DataFrame
        One row per origin, horizon and model: ``origin, horizon, year, model, actual, mean,
        pi_lower, pi_upper`` (yuan; 80% interval), ``ape`` (absolute percentage error of
        ``mean`` as a fraction), ``covered`` (1.0 if the actual is inside the interval),
        ``warnings`` (count) and ``error`` (why a fit failed; its numbers are then NaN).
    """
    years, values = np.asarray(years, int), np.asarray(values, float)
    rows = []
    for i in range(len(years) - 1):
        if years[i] >= first_origin and i + 1 >= min_obs:
            h = min(max_horizon, len(years) - 1 - i)
            for name in models:
                rows += _origin_cells(MODELS[name], years, values, i, h)
    return pd.DataFrame(rows, columns=_CELL_COLUMNS)


def _origin_cells(spec, years, values, i, h):
    try:
        _, mu, sd, caught = _fit_forecast(spec, np.log(values[: i + 1]), h)
        error = ""
    except _FAIL as e:
        mu, sd, caught = np.full(h, np.nan), np.full(h, np.nan), []
        error = f"{type(e).__name__}: {e}"
    z, actual = _z(ALPHA), values[i + 1: i + 1 + h]
    mean, lower, upper = np.exp(mu + sd ** 2 / 2), np.exp(mu - z * sd), np.exp(mu + z * sd)
    covered = np.where(np.isnan(mu), np.nan, (lower <= actual) & (actual <= upper))
    return [{"origin": years[i], "horizon": k + 1, "year": years[i + 1 + k], "model": spec.name,
             "actual": actual[k], "mean": mean[k], "pi_lower": lower[k], "pi_upper": upper[k],
             "ape": abs(mean[k] - actual[k]) / actual[k], "covered": covered[k],
             "warnings": len(caught), "error": error} for k in range(h)]


def _common(cells):
    """The cells where every model that forecast at all produced a number."""
    wide = cells.pivot_table(index=["origin", "horizon"], columns="model", values="ape",
                             dropna=False, aggfunc="first")
    wide = wide.loc[:, wide.notna().any()].dropna()
    keep = cells.set_index(["origin", "horizon"]).index.isin(wide.index)
    return cells[keep & cells["model"].isin(wide.columns)]


def summarise_backtest(cells):
    """Mean APE and 80% coverage by model and horizon, over the cells common to all models.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, horizon, ape_mean, coverage80, n`` (APE and coverage as fractions).
    """
    if cells.empty:
        return pd.DataFrame(columns=_BACKTEST_COLUMNS)
    out = _common(cells).groupby(["model", "horizon"], sort=False).agg(
        ape_mean=("ape", "mean"), coverage80=("covered", "mean"), n=("ape", "size"))
    return out.reset_index()[_BACKTEST_COLUMNS]


def score_models(cells, models=DEFAULT_MODELS, tie_tol=TIE_TOL, min_cells=MIN_CELLS):
    """Overall backtest score per model, ranked best first.

    Parameters
    ----------
    cells : pandas.DataFrame
        As returned by ``rolling_backtest``.
    models : sequence of str
        The candidates.
    tie_tol : float
        Mean APEs (fractions) within this of the best are a tie, broken by complexity.
    min_cells : int
        With fewer common cells than this the backtest cannot separate the models, and they are
        ranked by complexity alone (the naive random walk with drift first).

    Returns
    -------
    pandas.DataFrame
        Columns ``model, ape_mean, coverage80, n, complexity, chosen``: the tied models by
        complexity, then the others by mean APE; models without a score last. ``chosen`` is
        set by ``fit_comparator``.
    """
    common = _common(cells) if not cells.empty else cells
    scores = common.groupby("model").agg(ape_mean=("ape", "mean"), coverage80=("covered", "mean"),
                                         n=("ape", "size")).reindex(list(models))
    scores["complexity"] = [MODELS[m].complexity for m in scores.index]
    if scores["n"].max() >= min_cells:
        tied = scores["ape_mean"] <= scores["ape_mean"].min() + tie_tol
    else:
        tied = pd.Series(True, index=scores.index)
    rest = scores[~tied]
    rest = rest.assign(missing=rest["ape_mean"].isna())
    rest = rest.sort_values(["missing", "ape_mean", "complexity"]).drop(columns="missing")
    scores = pd.concat([scores[tied].sort_values("complexity"), rest])
    scores["chosen"] = False
    return scores.rename_axis("model").reset_index()


def _rule(tie_tol, min_cells):
    return (f"lowest MAPE wins; ties within {tie_tol * 100:.2g} pp go to the simpler model; "
            f"with fewer than {min_cells} cells, the simplest")

def interval_scale(cells, min_cells=MIN_CELLS, alpha=ALPHA):
    """Factor widening a model's intervals so that its backtest errors fall inside as often as
    they should: the ``1 - alpha`` quantile of |log error| / predicted log sd over the backtest
    cells, divided by the normal quantile, and at least 1. Statsmodels' intervals leave out
    parameter uncertainty and short series understate volatility, so raw intervals are narrow.

    Returns
    -------
    k : float
    note : str
    """
    cells = cells[cells["error"] == ""].dropna(subset=["pi_lower", "pi_upper", "actual"])
    cells = cells[cells["pi_upper"] > cells["pi_lower"]]  # a zero-width interval has no scale
    if len(cells) < min_cells:
        return 1.0, (f"intervals not calibrated: only {len(cells)} backtest cells "
                     f"(fewer than {min_cells})")
    z = _z(alpha)
    lo, hi = np.log(cells["pi_lower"].to_numpy()), np.log(cells["pi_upper"].to_numpy())
    ratio = np.abs(np.log(cells["actual"].to_numpy()) - (lo + hi) / 2) / ((hi - lo) / (2 * z))
    k = max(1.0, float(np.quantile(ratio, 1 - alpha)) / z)
    return k, (f"intervals widened by x{k:.2f} so that {1 - alpha:.0%} of the {len(cells)} backtest "
               "errors would have fallen inside (calibrated on the backtest)")
