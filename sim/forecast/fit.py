"""Fitting the comparators on an information set: backtest, choose, calibrate, forecast, link."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .backtest import (MIN_GROWTHS, MIN_OBS, choose, growth_panel, growth_spread, horizon_sds,
                       pairwise, predictive_sd, rolling_backtest, score_cells, summarise)
from .joint import residual_correlations
from .link import fit_linked
from .models import ALPHA, COMBINATION, DEFAULT_MODELS, LABELS, _z, growth_forecasts, pooled_phi
from .results import ComparatorForecast
from .series import COMPARATORS, JOINS, LINKS, comparator_series, link_growth_sd, load_series

DEFAULT_AS_OF = 2021   # the plans' base year: the information set the targets are judged on
MAX_HALF_WIDTH = 0.06  # one-year-ahead 80% half-width above +/-6% of the mean is implausibly wide


class Forecasts(dict):
    """Series key -> ComparatorForecast, with what they share: the information set (``as_of``),
    the pooled backtest (``cells``, ``scored``, ``backtest``), the chosen model and its ranking,
    the shock ``correlations`` and the series left out (``skipped``, key -> reason)."""


def fit_all(series_df=None, end_year=2025, link_sd=None, models=DEFAULT_MODELS, as_of=None):
    """Forecast every comparator series from the data up to ``as_of``.

    Parameters
    ----------
    series_df : pandas.DataFrame, optional
        As returned by ``load_series``; default the packaged data. Rows after ``as_of`` are
        dropped before anything is fitted, so they cannot change the result.
    end_year : int
        Last forecast year.
    link_sd : float, optional
        Zhongwei's yearly growth gap sd, log points; default the parameter
        ``forecast.link_growth_sd``.
    models : sequence of str
        Candidate model names (``sim.forecast.models.DEFAULT_MODELS``).
    as_of : int, optional
        Last year of the information set (default ``DEFAULT_AS_OF``, 2021); it must lie within
        the data's years.

    Returns
    -------
    Forecasts
        Keys ``<area>_<group>`` of every series with at least ``MIN_OBS`` observed years up to
        ``as_of`` (Zhongwei rural and urban linked to Ningxia's); the others are in ``skipped``.
    """
    df = load_series() if series_df is None else series_df
    as_of = DEFAULT_AS_OF if as_of is None else int(as_of)
    if not df["year"].min() < as_of <= df["year"].max():
        raise InputError("income series", "as_of", f"{as_of} is outside the data's years "
                         f"{df['year'].min()}-{df['year'].max()}")
    info = df[df["year"] <= as_of]
    levels, skipped = _levels(info)
    out = Forecasts()
    out.as_of, out.skipped = int(as_of), skipped
    out.cells = rolling_backtest({k: v for k, v in levels.items()
                                  if len(v) >= MIN_GROWTHS + 2}, models)
    out.scored = score_cells(out.cells)
    out.backtest = summarise(out.scored)
    out.chosen, out.ranking = choose(out.scored)
    out.skill = pairwise(out.scored, out.chosen)
    out.correlations = residual_correlations(out.cells, out.chosen)
    out.phi = pooled_phi([g.to_numpy() for g in growth_panel(levels).values() if len(g) >= 2])
    sds = horizon_sds(out.cells[out.cells["model"] == out.chosen], end_year - int(as_of) + 1)
    for key, rows in levels.items():
        if len(rows) < MIN_OBS:
            skipped[key] = (f"only {len(rows)} observed year(s) up to {as_of}, fewer than "
                            f"{MIN_OBS}: not forecast")
            continue
        out[key] = _forecast(key, rows, out, sds, end_year)
    for (area, group), parent in LINKS.items():
        _link(out, info, area, group, parent, link_sd)
    return out


def _levels(info):
    levels, skipped = {}, {}
    for area, group in COMPARATORS:
        key = f"{area}_{group}"
        try:
            levels[key] = comparator_series(info, area, group)
        except (KeyError, ValueError) as e:
            skipped[key] = f"not in the information set: {e}"
    return levels, skipped


def _forecast(key, rows, fits, sds, end_year):
    area, group = key.split("_", 1)
    years, values = rows["year"].to_numpy(int), rows["value_yuan"].to_numpy(float)
    h = int(end_year) - int(years[-1])
    if h < 1:
        raise ValueError(f"{key}: end_year {end_year} is not after the last data year {years[-1]}")
    g = np.diff(np.log(values))
    options = growth_forecasts(g, fits.phi, h, (fits.chosen, COMBINATION))
    name = fits.chosen if fits.chosen in options else COMBINATION
    mu = np.log(values[-1]) + np.cumsum(options[name])
    sd = predictive_sd(sds[:h], growth_spread(g), np.arange(1, h + 1))
    notes = _data_notes(rows, group) + _interval_notes(sd[0], sds[0], g)
    if name != fits.chosen:
        notes.insert(0, f"{fits.chosen} cannot be fitted on {len(g)} growths: the combination used")
    return ComparatorForecast(key=key, area=area, group=group, history=rows,
                              years=np.arange(years[-1] + 1, end_year + 1), log_mean=mu,
                              log_sd=sd, model_name=name, model_label=LABELS[name],
                              as_of=fits.as_of, notes=notes)


def _link(out, info, area, group, parent, link_sd):
    key = f"{area}_{group}"
    if parent not in out:
        out.skipped[key] = f"its parent {parent} is not forecast"
        return
    try:
        rows = comparator_series(info, area, group)
    except (KeyError, ValueError) as e:
        out.skipped[key] = f"no observed year up to {out.as_of}: {e}"
        return
    sd = link_growth_sd(int(rows["year"].iloc[-1]) + 1) if link_sd is None else link_sd
    out[key] = fit_linked(rows, out[parent], sd, key, area, group, out.as_of)


def half_width(sd, alpha=ALPHA):
    """Half the ``1 - alpha`` interval of a lognormal with log sd ``sd``, over its mean (/1).

    ``(exp(mu + z sd) - exp(mu - z sd)) / 2 / exp(mu + sd^2 / 2) = sinh(z sd) exp(-sd^2 / 2)``.
    """
    return np.sinh(_z(alpha) * sd) * np.exp(-np.asarray(sd, float) ** 2 / 2)


def interval_check(fits, alpha=ALPHA):
    """One-year-ahead 80% half-width against the floor the growth spread supports and the ceiling.

    Returns
    -------
    pandas.DataFrame
        ``series, half_width, floor, ceiling, n_growths, inside``: ``half_width`` is half the 80%
        interval over the mean (/1) of the series' first forecast year; ``floor`` the half-width
        of the same kind of interval with log sd equal to the sd (ddof=1) of the series' observed
        log growths (about z(0.9) times that sd: the interval of a forecaster who knows the mean
        growth and nothing else; a narrower one claims more foresight than the data hold),
        computed here from the history, not taken from the rule; ``ceiling`` is
        ``MAX_HALF_WIDTH``; ``inside`` whether ``floor <= half_width <= ceiling``. Linked series
        are left out.
    """
    rows = []
    for key, f in fits.items():
        if f.parent is not None:
            continue
        g = np.diff(np.log(f.history["value_yuan"].to_numpy(float)))
        half, floor = float(half_width(f.log_sd[0], alpha)), _floor(g, alpha)
        rows.append({"series": key, "half_width": half, "floor": floor, "ceiling": MAX_HALF_WIDTH,
                     "n_growths": len(g), "inside": bool(floor <= half <= MAX_HALF_WIDTH)})
    return pd.DataFrame(rows, columns=["series", "half_width", "floor", "ceiling", "n_growths", "inside"])


def _floor(g, alpha=ALPHA):
    return float(half_width(np.std(g, ddof=1), alpha))


def _interval_notes(sd1, pooled1, g):
    half, floor = float(half_width(sd1)), _floor(g)
    verdict = ("inside" if floor <= half <= MAX_HALF_WIDTH else "OUTSIDE")
    spread = np.std(g, ddof=1)
    source = "its own growth spread" if spread > pooled1 else "the pooled backtest errors"
    return [f"one-year-ahead predictive log sd {sd1:.4f}: the larger of the pooled backtest RMSE "
            f"({pooled1:.4f}) and the sd of its {len(g)} observed growths ({spread:.4f}); set by "
            f"{source}",
            f"one-year-ahead 80% interval about +/-{half:.1%} of the mean: {verdict} the range "
            f"[+/-{floor:.1%} (floor from the sd of its {len(g)} observed growths), "
            f"+/-{MAX_HALF_WIDTH:.0%}]"]


def _data_notes(rows, group):
    notes = []
    weak = rows[rows["status"] != "verified"]
    if len(weak):
        notes.append(f"{len(weak)} of {len(rows)} values are not verified "
                     f"({', '.join(f'{y} {s}' for y, s in zip(weak['year'], weak['status']))})")
    if group in JOINS:
        old, new = JOINS[group]
        notes.append(f"joined series with a definitional break: NBS {old} (贫困地区农村居民) to "
                     f"{rows[rows['group'] == old]['year'].max()}, then {new} (脱贫县农村居民); the "
                     "bridging year is back-cast from the first new value and its published growth")
    return notes


def backtest_table(fits):
    """The pooled and per-series backtest: ``series, model, horizon, n, coverage80, coverage95,
    score`` (score: mean CRPS of log income, log points; coverage from leave-one-series-out
    calibrated intervals)."""
    return fits.backtest.copy()
