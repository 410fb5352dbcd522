"""Fitting the comparators: backtest, choose, calibrate and forecast every series."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .backtest import (_BACKTEST_COLUMNS, FIRST_ORIGIN, MAX_HORIZON, MIN_CELLS, MIN_OBS, TIE_TOL,
                       _rule, interval_scale, rolling_backtest, score_models)
from .link import fit_linked
from .models import _FAIL, DEFAULT_MODELS, MODELS, _fit_forecast
from .results import ComparatorForecast
from .series import COMPARATORS, JOINS, LINKS, comparator_series, link_growth_sd, load_series


def fit_comparator(series_df, area, group, end_year=2025, models=DEFAULT_MODELS,
                   first_origin=FIRST_ORIGIN, max_horizon=MAX_HORIZON, min_obs=MIN_OBS,
                   tie_tol=TIE_TOL, min_cells=MIN_CELLS):
    """Backtest the candidate models on one series, choose one and forecast to ``end_year``.

    Parameters
    ----------
    series_df : pandas.DataFrame
        As returned by ``load_series`` (rows may extend past 2021).
    area, group : str
        The series, e.g. ``"ningxia", "rural"``; ``"china", "poverty_area_rural"`` is the joined
        poverty-area series (贫困地区 2016-2019, back-cast 2020, 脱贫县 from 2021), which has a
        definitional break at 2020 that the results' notes state.
    end_year : int
        Last forecast year; the first is the series' last data year + 1.
    models : sequence of str
        Candidate names in ``MODELS``.
    first_origin, max_horizon, min_obs, tie_tol, min_cells
        Backtest settings (see ``rolling_backtest`` and ``score_models``).

    Returns
    -------
    ComparatorForecast
    """
    rows = comparator_series(series_df, area, group)
    years, values = rows["year"].to_numpy(int), rows["value_yuan"].to_numpy(float)
    h = int(end_year) - int(years[-1])
    if h < 1:
        raise ValueError(f"{area} {group}: end_year {end_year} is not after the last data year "
                         f"{years[-1]}")
    cells = rolling_backtest(years, values, models, first_origin, max_horizon, min_obs)
    scores = score_models(cells, models, tie_tol, min_cells)
    spec, fitted, mu, sd, caught, notes = _final_fit(scores["model"], np.log(values), h)
    scores.loc[scores["model"] == spec.name, "chosen"] = True
    k, note = interval_scale(cells[cells["model"] == spec.name], min_cells)
    return ComparatorForecast(
        key=f"{area}_{group}", area=area, group=group, history=rows,
        years=np.arange(years[-1] + 1, end_year + 1), log_mean=mu, log_sd=sd * k,
        sampler=lambda n, rng: mu + k * (fitted.simulate(h, n, rng) - mu), model_name=spec.name,
        model_label=spec.label, cells=cells, scores=scores,
        notes=notes + _data_notes(rows, group) + _backtest_notes(cells, scores, spec.name,
                                                                 min_cells) + [note],
        fit_warnings=caught, selection_rule=_rule(tie_tol, min_cells))


def _final_fit(ranked, log_y, h):
    """Fit the best-ranked model that fits on the whole series."""
    notes = []
    for name in ranked:
        try:
            fitted, mu, sd, caught = _fit_forecast(MODELS[name], log_y, h)
            return MODELS[name], fitted, mu, sd, caught, notes
        except _FAIL as e:
            notes.append(f"{name} ranked higher but failed on the full series ({e}); skipped")
    raise ValueError("no candidate model could be fitted: " + "; ".join(notes))


def _data_notes(rows, group):
    notes = []
    weak = rows[rows["status"] != "verified"]
    if len(weak):
        notes.append(f"{len(weak)} of {len(rows)} values are not verified "
                     f"({', '.join(f'{y} {s}' for y, s in zip(weak['year'], weak['status']))})")
    if group in JOINS:
        old, new = JOINS[group]
        bridge = rows[rows["status"].eq("derived") & rows["source"].str.startswith("back-cast")]
        notes.append(f"joined series with a definitional break: NBS {old} (贫困地区农村居民) "
                     f"to {rows[rows['group'] == old]['year'].max()}, then {new} (脱贫县农村居民)"
                     + (f"; {bridge['year'].iloc[0]} is back-cast from the first {new} value and "
                        "its published comparable-basis growth, so the join is on the new basis"
                        if len(bridge) else "")
                     + "; the two cover nearly the same counties, but the break is not measured")
    return notes


def _backtest_notes(cells, scores, chosen, min_cells):
    notes = []
    failed = cells[cells["error"] != ""]
    for model, errs in failed.groupby("model"):
        notes.append(f"{model} failed at origins {sorted(errs['origin'].unique())}; those cells "
                     f"are left out for every model ({errs['error'].iloc[0][:80]})")
    s = scores.set_index("model").loc[chosen]
    if s["n"] >= 5 and s["coverage80"] < 0.6:
        notes.append(f"the chosen model's 80% intervals covered only {s['coverage80']:.0%} of "
                     f"{int(s['n'])} backtest actuals: they are likely too narrow")
    n = int(scores["n"].fillna(0).max())
    if n < min_cells:
        notes.append(f"only {n} backtest cells (fewer than {min_cells}): too few to choose "
                     f"between the models, so the simplest candidate ({chosen}) is used; the "
                     "ranking above is for information")
    else:
        notes.append(f"backtest has {n} cells per model; the choice is indicative with so few")
    return notes


def fit_all(series_df=None, end_year=2025, link_sd=None, models=DEFAULT_MODELS):
    """Forecast every comparator series.

    Parameters
    ----------
    series_df : pandas.DataFrame, optional
        As returned by ``load_series``; default the packaged data.
    end_year : int
        Last forecast year.
    link_sd : float, optional
        Link noise for the Zhongwei series, log points per year; default the parameter
        ``forecast.link_growth_sd`` in force in the first forecast year.
    models : sequence of str
        Candidate model names.

    Returns
    -------
    dict of str to ComparatorForecast
        Keys ``ningxia_rural, ningxia_urban, china_rural, china_urban,
        china_poverty_area_rural, zhongwei_rural, zhongwei_urban``; Zhongwei rural is linked to
        Ningxia rural and Zhongwei urban to Ningxia urban.
    """
    df = load_series() if series_df is None else series_df
    out = {f"{a}_{g}": fit_comparator(df, a, g, end_year, models) for a, g in COMPARATORS}
    for (area, group), parent in LINKS.items():
        rows = comparator_series(df, area, group)
        base_year = int(rows["year"].iloc[-1])
        sd = link_growth_sd(base_year + 1) if link_sd is None else link_sd
        out[f"{area}_{group}"] = fit_linked(rows["value_yuan"].iloc[-1], base_year, out[parent],
                                            sd, key=f"{area}_{group}", area=area, group=group,
                                            history=rows)
    return out


def backtest_table(results):
    """All backtests in one table.

    Parameters
    ----------
    results : dict of str to ComparatorForecast
        As returned by ``fit_all``.

    Returns
    -------
    pandas.DataFrame
        ``series, model, horizon, ape_mean, coverage80, n, chosen``; linked series (no backtest)
        are left out.
    """
    parts = [r.backtest.assign(series=key, chosen=lambda d, r=r: d["model"] == r.model_name)
             for key, r in results.items() if not r.cells.empty]
    if not parts:
        return pd.DataFrame(columns=["series"] + _BACKTEST_COLUMNS + ["chosen"])
    return pd.concat(parts, ignore_index=True)[["series"] + _BACKTEST_COLUMNS + ["chosen"]]
