"""The Zhongwei link: a series that follows its parent's drawn growth plus noise."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .models import ALPHA, _z
from .results import ComparatorForecast
from .series import LINK_SD_PATH


def fit_linked(base_value, base_year, parent, link_sd, key=None, area="zhongwei", group=None,
               history=None):
    """A series whose yearly log growth is the parent's drawn growth plus independent noise.

    Parameters
    ----------
    base_value : float
        The linked series' value in ``base_year``, yuan per person per year.
    base_year : int
        Its (last) data year; must lie within the parent's data years.
    parent : ComparatorForecast
        The series whose growth is followed (observed growth where the parent has data after
        ``base_year``, drawn growth afterwards).
    link_sd : float
        Sd of the yearly noise added to the parent's log growth, log points per year
        (``sim/params/forecast/link_growth_sd.yaml``).
    key, area, group : str, optional
        Names for the result; ``group`` defaults to the parent's.
    history : pandas.DataFrame, optional
        The linked series' data rows (``year, group, value_yuan, growth_pct, status,
        source``); default a single row built from ``base_value``.

    Returns
    -------
    ComparatorForecast
        Forecast years ``base_year + 1`` to the parent's end year; log variance is the parent's
        cumulative log-growth variance plus ``h * link_sd**2`` after ``h`` years.
    """
    group = group or parent.group
    base_year, link_sd = int(base_year), float(link_sd)
    history = _link_history(base_value, base_year, history, parent)
    mu_p, var_p = parent.expected_log_path(base_year)
    h = np.arange(1, len(mu_p))
    mu = np.log(base_value) + mu_p[1:] - mu_p[0]
    sd = np.sqrt(var_p[1:] + h * link_sd ** 2)

    def sampler(n, rng):
        growth = np.diff(parent.log_paths_from(base_year, n, rng), axis=1)
        return np.log(base_value) + np.cumsum(growth + rng.normal(0, link_sd, growth.shape), axis=1)

    return ComparatorForecast(
        key=key or f"{area}_{group}", area=area, group=group, history=history,
        years=np.arange(base_year + 1, base_year + 1 + len(h)), log_mean=mu, log_sd=sd,
        sampler=sampler, model_name="linked",
        model_label=f"{parent.key}'s growth ({parent.model_name}) + N(0, {link_sd:g}^2) per year",
        notes=_link_notes(parent, link_sd, sd, var_p[1:], history), parent=parent,
        link_sd=link_sd)


def _link_history(base_value, base_year, history, parent):
    if history is None:
        history = pd.DataFrame([{"year": base_year, "group": "", "value_yuan": float(base_value),
                                 "growth_pct": np.nan, "status": "given", "source": "fit_linked"}])
    if int(history["year"].max()) != base_year:
        raise ValueError(f"base_year {base_year} must be the history's last year")
    if not parent.history["year"].min() <= base_year <= parent.last_year:
        raise ValueError(f"{parent.key} has data for {parent.history['year'].min()}-"
                         f"{parent.last_year}; the linked base year {base_year} must lie within")
    return history.reset_index(drop=True)


def _link_notes(parent, link_sd, sd, var_parent, history):
    z, last = _z(ALPHA), len(sd) - 1
    extra = np.sqrt(len(sd)) * link_sd
    weak = history[history["status"] != "verified"]
    notes = [f"no backtest of its own ({len(history)} year(s) of data); its growth follows "
             f"{parent.key} (chosen model {parent.model_name}, see that series' backtest)",
             f"link uncertainty: each year's log growth gets independent N(0, {link_sd:g}^2) "
             f"noise (assumption, {LINK_SD_PATH}); by the last year it adds {extra:.3f} in log sd "
             f"(total {sd[last]:.3f} against the parent's {np.sqrt(var_parent[last]):.3f}), "
             f"about +/-{z * extra:.1%} on the 80% interval"]
    if len(weak):
        notes.append("base value(s) not verified: " + "; ".join(
            f"{y} {v:,.0f} yuan {s} ({src})" for y, v, s, src in
            zip(weak["year"], weak["value_yuan"], weak["status"], weak["source"]))
            + "; taken as exact")
    return notes
