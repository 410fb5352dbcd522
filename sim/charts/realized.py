"""Fan charts of the as-of forecasts with the realized figures on them (``sim evaluate``)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .bands import BAND_ALPHA
from .style import (FIG_HEIGHT, LEGEND_SIZE, WARNING_COLOUR, finish, labels_for, new_figure, package_colour,
                    year_axis, yuan_axis)

COLUMNS = 2              # panels per row
PANEL_HEIGHT = 2.4       # inches per row of panels, so that each stays readable
TEXT = {
    "zh": {"title": "可比人群收入预测（信息集截至{as_of}年）与实际值",
           "band80": "80%预测区间", "band95": "95%预测区间", "mean": "预测均值",
           "observed": "统计数（信息集内）", "inside": "实际值（80%区间内）",
           "outside": "实际值（80%区间外）", "migrant": "中卫移民（模型模拟）",
           "source": "来源：sim forecast（截至{as_of}年的数据）；实际值来自{file}。"},
    "en": {"title": "Comparator forecasts (information set to {as_of}) against realized figures",
           "band80": "80% interval", "band95": "95% interval", "mean": "forecast mean",
           "observed": "statistics (in the information set)", "inside": "realized (inside 80%)",
           "outside": "realized (outside 80%)", "migrant": "Zhongwei migrants (simulated)",
           "source": "Source: sim forecast (data up to {as_of}); realized figures from {file}."},
}


def evaluate_chart(forecasts, evaluated, history, lang="zh", realized_file="REALIZED.csv"):
    """One panel per scored series: observed history, forecast fan, realized points.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Contract rows ``series, year, mean, lo80, hi80, lo95, hi95, as_of`` (yuan).
    evaluated : pandas.DataFrame
        ``sim.evaluate.score`` rows.
    history : pandas.DataFrame
        Observed rows ``series, year, value_yuan`` (the information set).
    lang : {"zh", "en"}

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        ``series, year, kind, value, lo80, hi80, lo95, hi95`` behind the chart.
    """
    L, T = labels_for(lang), TEXT[lang]
    keys = list(dict.fromkeys(evaluated["series"]))
    rows = max(1, int(np.ceil(len(keys) / COLUMNS)))
    fig, axes, holder = new_figure(rows, COLUMNS, height=max(FIG_HEIGHT, PANEL_HEIGHT * rows + 1.6))
    as_of = forecasts["as_of"].dropna()
    as_of = int(as_of.iloc[0]) if len(as_of) else ""
    frames = []
    for i, ax in enumerate(axes.flat):
        if i >= len(keys):
            ax.set_axis_off()
            continue
        frames.append(_panel(ax, keys[i], forecasts, evaluated, history, L, T))
    legend = [(Patch(color=package_colour(0), alpha=BAND_ALPHA["inner"] + BAND_ALPHA["outer"]), T["band80"]),
              (Patch(color=package_colour(0), alpha=BAND_ALPHA["outer"]), T["band95"]),
              (Line2D([], [], color=package_colour(0), linewidth=1.5), T["mean"]),
              (Line2D([], [], color="black", marker="s", linestyle="none", markersize=4), T["observed"]),
              (Line2D([], [], color="black", marker="o", linestyle="none"), T["inside"]),
              (Line2D([], [], color=WARNING_COLOUR, marker="X", linestyle="none"), T["outside"])]
    finish(fig, holder, T["title"].format(as_of=as_of),
            [T["source"].format(as_of=as_of, file=realized_file)], [], L, legend, ncol=3)
    return fig, pd.concat(frames, ignore_index=True)


def _panel(ax, key, forecasts, evaluated, history, L, T):
    f = forecasts[forecasts["series"] == key].sort_values("year")
    h = history[history["series"] == key].sort_values("year")
    e = evaluated[evaluated["series"] == key]
    colour = package_colour(0)
    ax.fill_between(f["year"], f["lo95"], f["hi95"], color=colour, alpha=BAND_ALPHA["outer"], linewidth=0)
    ax.fill_between(f["year"], f["lo80"], f["hi80"], color=colour, alpha=BAND_ALPHA["inner"], linewidth=0)
    ax.plot(f["year"], f["mean"], color=colour, linewidth=1.5)
    ax.plot(h["year"], h["value_yuan"], color="black", marker="s", markersize=3, linestyle="-", linewidth=0.8)
    inside = e[e["inside80"].astype(bool)]
    outside = e[~e["inside80"].astype(bool)]
    ax.plot(inside["year"], inside["realized"], "o", color="black")
    ax.plot(outside["year"], outside["realized"], "X", color=WARNING_COLOUR, markersize=7)
    years = sorted(set(f["year"]) | set(h["year"]) | set(e["year"]))
    year_axis(ax, years, L)
    ax.tick_params(axis="x", labelrotation=90)
    yuan_axis(ax, "")
    name = T["migrant"] if key.endswith("_migrant") else L["comparators"].get(key, key)
    ax.set_title(name, fontsize=LEGEND_SIZE + 1)
    return pd.concat([
        f.assign(kind="forecast", value=f["mean"])[["series", "year", "kind", "value", "lo80", "hi80", "lo95", "hi95"]],
        h.assign(kind="observed", value=h["value_yuan"])[["series", "year", "kind", "value"]],
        e.assign(kind="realized", value=e["realized"])[["series", "year", "kind", "value"]]],
        ignore_index=True)
