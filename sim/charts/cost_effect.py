"""Cost-effectiveness chart: each package's extra fiscal cost against its income gain."""
from __future__ import annotations

import re

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from .data import STUDY_YEARS
from .style import (COST_SCALE, COST_UNIT, LABEL_SIZE, NOTE_COLOUR, finish, labels_for,
                    new_figure, note, package_colour, package_marker, yuan_axis)

NAME = "cost_effect"

COST_X_MARGIN = 0.08       # room right of the costliest package for its marker, share of its cost
COST_COLUMNS = ("scenario", "label_zh", "label_en", "extra_cost_yuan")
GAIN_PATTERN = re.compile(r"^gain_(\d{4})_(median|p10|p90)$")

TEXT = {
    "zh": {
        "cost_axis": "{first}–{last}年新增财政支出（{unit}）",
        "gain_axis": "{year}年人均可支配收入比基线增加（元/人·年）",
        "cost_title": "新增财政支出与{year}年收入增量",
        "gain_range": "中位数及10%–90%区间",
        "source_cost": "来源：sim模型模拟；收入增量为与基线相比的{year}年人均可支配收入，误差线为10%–90%区间。",
        "missing_values": "“{pkg}”的数据不完整（{what}），未画出",
    },
    "en": {
        "cost_axis": "Extra fiscal cost {first}–{last} ({unit})",
        "gain_axis": "Income gain over baseline in {year} (yuan per person per year)",
        "cost_title": "Extra fiscal cost and income gain in {year}",
        "gain_range": "Median and 10–90% range",
        "source_cost": "Source: sim model ensembles; gain = {year} per-capita disposable income "
                       "minus the baseline's; error bars span the 10–90% range.",
        "missing_values": "'{pkg}' has incomplete data ({what}): not drawn",
    },
}


def draw(inputs, lang):
    """The chart of a comparison (``sim.charts.ChartInputs``) in ``lang``; None without one."""
    if inputs.comparison is None:
        return None
    return cost_effect_chart(inputs.comparison, lang)


def cost_effect_chart(comparison, lang="zh"):
    """Extra fiscal cost of each package against its income gain over the baseline.

    Parameters
    ----------
    comparison : pandas.DataFrame
        One row per package: ``scenario, label_zh, label_en, extra_cost_yuan`` (extra fiscal
        cost over the study period, yuan) and ``gain_YYYY_median, gain_YYYY_p10,
        gain_YYYY_p90`` (per-capita disposable income gained in year YYYY over the baseline,
        yuan per person per year; quantiles across replications).
    lang : {"zh", "en"}

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        The rows drawn, with ``label`` in ``lang`` and the cost in the axis unit
        (``extra_cost_million_yuan``).

    Raises
    ------
    ValueError
        If a column of the contract is missing.
    """
    L, notes = labels_for(lang, TEXT), []
    year, gain = _gain_columns(comparison)
    fig, axes, holder = new_figure()
    ax = axes[0, 0]
    data = comparison.reset_index(drop=True).assign(
        label=comparison[f"label_{lang}"].to_numpy(),
        extra_cost_million_yuan=comparison["extra_cost_yuan"].to_numpy() / COST_SCALE)
    needed = ["extra_cost_yuan", gain["median"], gain["p10"], gain["p90"]]
    bad = data[needed].isna().any(axis=1)
    for row in data[bad].itertuples():
        what = ", ".join(c for c in needed if pd.isna(getattr(row, c)))
        note(notes, L["missing_values"].format(pkg=row.label, what=what))
    if data.empty:
        note(notes, L["no_packages"])
    legend = _draw_cost_points(ax, data, ~bad, gain)
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xlabel(L["cost_axis"].format(unit=COST_UNIT[lang], first=STUDY_YEARS[0], last=STUDY_YEARS[-1]),
                  fontsize=LABEL_SIZE)
    yuan_axis(ax, L["gain_axis"].format(year=year))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    legend.append((Line2D([], [], color=NOTE_COLOUR, marker="o"), L["gain_range"]))
    finish(fig, holder, L["cost_title"].format(year=year), [L["source_cost"].format(year=year)],
            notes, L, legend)
    return fig, data


def _gain_columns(comparison):
    """The gain year and its three columns; raises if the contract is not met."""
    missing = [c for c in COST_COLUMNS if c not in comparison.columns]
    found = {}
    for column in comparison.columns:
        m = GAIN_PATTERN.match(column)
        if m:
            found.setdefault(int(m[1]), {})[m[2]] = column
    complete = {y: cols for y, cols in found.items() if len(cols) == 3}
    if missing or len(complete) != 1:
        raise ValueError(f"cost_effect_chart needs columns {list(COST_COLUMNS)} and one set of "
                         f"gain_YYYY_median/p10/p90; missing {missing}, gain years "
                         f"{sorted(found)}")
    return next(iter(complete.items()))


def _draw_cost_points(ax, data, good, gain):
    """Each package's median gain with its 10-90% range; named in the legend, not beside the
    point, since packages of nearly equal cost and gain would print their names over each other.

    A package keeps its colour and marker (its position in ``data``) whether or not drawn.
    """
    legend = []
    for i, row in enumerate(data.itertuples(index=False)):
        if not good.iloc[i]:
            continue
        r = row._asdict()
        x, y = r["extra_cost_million_yuan"], r[gain["median"]]
        ax.errorbar([x], [y], yerr=[[y - r[gain["p10"]]], [r[gain["p90"]] - y]],
                    fmt=package_marker(i), color=package_colour(i), markersize=6, capsize=3,
                    elinewidth=1.2)
        legend.append((Line2D([], [], color=package_colour(i), marker=package_marker(i),
                              linestyle="none", markersize=6), r["label"]))
    costs = data.loc[good.to_numpy(), "extra_cost_million_yuan"]
    if len(costs):
        pad = 1 + COST_X_MARGIN
        ax.set_xlim(min(0, costs.min() * pad), max(0, costs.max()) * pad)
    return legend
