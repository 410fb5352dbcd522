"""The Zhongwei link: a series that follows its parent's growth plus a yearly gap of its own."""
from __future__ import annotations

import numpy as np

from .models import ALPHA, _z
from .results import ComparatorForecast
from .series import LINK_SD_PATH


def fit_linked(history, parent, link_sd, key, area, group, as_of):
    """A series whose yearly log growth is the parent's growth plus a normal gap.

    Parameters
    ----------
    history : pandas.DataFrame
        The linked series' data rows in the information set (``year, group, value_yuan,
        growth_pct, status, source``); its last year is the base year and must lie within the
        parent's data years.
    parent : ComparatorForecast
        The series whose growth is followed (observed where the parent has data after the base
        year, forecast afterwards).
    link_sd : float
        Sd of the yearly gap between the two log growths, log points per year
        (``sim/params/forecast/link_growth_sd.yaml``, an assumption).
    key, area, group : str
        Names for the result.
    as_of : int
        The information set's last year.

    Returns
    -------
    ComparatorForecast
        Forecast years base year + 1 to the parent's end year; log variance is the parent's
        plus ``h * link_sd**2`` after ``h`` years.
    """
    history = history.reset_index(drop=True)
    base_year, link_sd = int(history["year"].max()), float(link_sd)
    if not parent.history["year"].min() <= base_year <= parent.last_year:
        raise ValueError(f"{parent.key} has data for {parent.history['year'].min()}-"
                         f"{parent.last_year}; the linked base year {base_year} must lie within")
    obs = parent.observed_from(base_year)
    mu_p = np.r_[obs, parent.log_mean] - obs[0]
    var_p = np.r_[np.zeros(len(obs)), parent.log_sd ** 2]
    h = np.arange(1, len(mu_p))
    base = float(history["value_yuan"].iloc[-1])
    sd = np.sqrt(var_p[1:] + h * link_sd ** 2)
    return ComparatorForecast(
        key=key, area=area, group=group, history=history, years=base_year + h,
        log_mean=np.log(base) + mu_p[1:], log_sd=sd, model_name="linked",
        model_label=f"{parent.key}'s growth ({parent.model_name}) + N(0, {link_sd:g}^2) per year",
        as_of=as_of, notes=_link_notes(parent, link_sd, sd, var_p[1:], history), parent=parent,
        link_sd=link_sd)


def _link_notes(parent, link_sd, sd, var_parent, history):
    z, last = _z(ALPHA), len(sd) - 1
    extra = np.sqrt(len(sd)) * link_sd
    years = ", ".join(str(y) for y in history["year"])
    notes = [f"only {len(history)} observed year(s) ({years}): no backtest of its own; its growth "
             f"follows {parent.key} (chosen model {parent.model_name}, see the pooled backtest), "
             "drawn jointly with it",
             f"link uncertainty: each year's log growth gets a N(0, {link_sd:g}^2) gap (assumption, "
             f"{LINK_SD_PATH}); by the last year it adds {extra:.3f} in log sd (total "
             f"{sd[last]:.3f} against the parent's {np.sqrt(var_parent[last]):.3f}), about "
             f"+/-{z * extra:.1%} on the 80% interval"]
    weak = history[history["status"] != "verified"]
    if len(weak):
        notes.append("base value(s) not verified: " + "; ".join(
            f"{y} {v:,.0f} yuan {s} ({src})" for y, v, s, src in
            zip(weak["year"], weak["value_yuan"], weak["status"], weak["source"]))
            + "; taken as exact")
    return notes
