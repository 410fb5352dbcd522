"""Fan chart: migrants' per-capita disposable income per package, with comparators and T1."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from ..forecast import ALPHA as COMPARATOR_ALPHA
from ..parameters import ParameterTree
from .bands import band_legend, draw_bands, quantile_table
from .data import ALL_MIGRANTS, STUDY_YEARS, TOTAL, select, tidy_frame
from .style import (FIG_HEIGHT, LABEL_SIZE, LATIN_ADVANCE, YLABEL_FILL, display_name, finish,
                    labels_for, n_text, new_figure, note, package_colour, text_columns,
                    wrap_balanced, year_axis, yuan_axis)

NAME = "fan"  # file stem of the saved chart: fan_zh.png, fan_en.png ...

COMPARATOR_KEYS = ("zhongwei_rural", "ningxia_rural")
COMPARATOR_STYLES = {"zhongwei_rural": dict(color="#444444", linestyle="--", marker="s"),
                     "ningxia_rural": dict(color="#000000", linestyle=":", marker="^"),
                     "zhongwei_urban": dict(color="#777777", linestyle="-.", marker="D"),
                     "ningxia_urban": dict(color="#777777", linestyle="--", marker="v")}
DEFAULT_COMPARATOR_STYLE = dict(color="#555555", linestyle="--", marker="o")
TARGET_COLOUR = "#B00020"
REFERENCE_COLOUR = "#7F7F7F"  # the reference (baseline) in grey behind each package's panel
PANEL_COLUMNS = 2          # panels per row when there are several packages
PANEL_HEIGHT = 2.7         # inches per row of panels
PANEL_EXTRA = 2.9          # inches for title, legend and footer around the panels
T1_PARAMETER = "targets.t1_growth"
T1_BASE_YEAR = STUDY_YEARS[0]      # T1 (sim.targets.t1): growth from the first study year ...
T1_YEAR = T1_BASE_YEAR + 1         # ... to the next

TEXT = {
    "zh": {
        "income_axis": "人均可支配收入（元/人·年）",
        "reference_median": "{pkg}（中位数，灰色）",
        "panel_median": "各分图所示方案（中位数）",
        "fan_title": "移民人均可支配收入，{first}–{last}年",
        "comparator_forecast": "{name}：预测均值及{level}区间",
        "comparator_observed": "{name}：统计数",
        "target_path": "目标T1：{year}年比{base}年增长{growth:.0%}",
        "source_comparators": "可比人群：统计数及预测（sim/data/income_series.csv，sim.forecast）。",
        "source_target": "目标：参数{param}（{growth:.0%}）乘以首个方案{base}年的中位数。",
        "missing_comparator": "缺少可比人群“{name}”的预测",
        "missing_base": "首个方案缺少{year}年数据，未画出目标T1",
    },
    "en": {
        "income_axis": "Per-capita disposable income (yuan per person per year)",
        "reference_median": "{pkg} (median, grey)",
        "panel_median": "The panel's package (median)",
        "fan_title": "Per-capita disposable income of migrants, {first}–{last}",
        "comparator_forecast": "{name}: forecast mean and {level} interval",
        "comparator_observed": "{name}: statistics",
        "target_path": "Target T1: +{growth:.0%} in {year} over {base}",
        "source_comparators": "Comparators: statistics and forecasts (sim/data/income_series.csv, "
                              "sim.forecast).",
        "source_target": "Target: parameter {param} ({growth:.0%}) applied to the first package's "
                         "{base} median.",
        "missing_comparator": "no forecast for comparator '{name}'",
        "missing_base": "the first package has no {year} data: target T1 not drawn",
    },
}


@dataclass(frozen=True)
class Fan:
    """One package's quantiles per year, its position among the packages and its name."""

    index: int
    name: str
    q: pd.DataFrame


def draw(inputs, lang):
    """The chart of a comparison (``sim.charts.ChartInputs``) in ``lang``."""
    return fan_chart(inputs.runs, inputs.forecasts, lang)


def fan_chart(runs, comparators=None, lang="zh", comparator_keys=COMPARATOR_KEYS,
              target_growth=None):
    """Fan chart of migrants' per-capita disposable income: one panel per package.

    With one package, one panel. With several, the first is the reference (the baseline) and
    each other package gets its own panel with the reference's fan in grey behind it, so that
    no two packages' bands lie over each other.

    Parameters
    ----------
    runs : dict
        Package (``Label`` or str) -> ``income_yearly`` table with a ``replication`` column.
        The first package is the reference for the target path.
    comparators : dict of str to sim.forecast.ComparatorForecast, optional
        As returned by ``sim.forecast.fit_all``; the series in ``comparator_keys`` are drawn
        as their forecast mean with its 80% interval, and their observed years as points.
    lang : {"zh", "en"}
    comparator_keys : sequence of str
        Which comparators to draw.
    target_growth : float, optional
        T1 growth target (/1); default the parameter ``targets.t1_growth`` in force in
        ``T1_YEAR``. The target point is the first package's ``T1_BASE_YEAR`` median times
        (1 + growth).

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        ``series, label, kind, year`` and the quantiles across replications (``p10 ... p90``,
        ``replications``), comparators' ``mean, pi_lower, pi_upper`` or ``observed`` and the
        ``target`` point; yuan per person per year.
    """
    L, notes = labels_for(lang, TEXT), []
    frames, counts, fans = [], [], []
    for i, (key, df) in enumerate(runs.items()):
        pkg = display_name(key, lang)
        sel = select(df, notes, pkg, L, L["components"][TOTAL], group=ALL_MIGRANTS[0],
                     subgroup=ALL_MIGRANTS[1], component=TOTAL)
        if sel is None:
            continue
        q = quantile_table(sel, "yuan_per_person", STUDY_YEARS, pkg, notes, L)
        fans.append(Fan(i, pkg, q))
        frames.append(q.reset_index().assign(series=str(key), label=pkg, kind="simulated"))
        counts.append(sel["replication"].nunique())
    if not runs:
        note(notes, L["no_packages"])
    reference = fans[0] if fans and fans[0].index == 0 else None
    shown = [f for f in fans if f is not reference] if len(runs) > 1 else fans
    growth = _t1_growth(target_growth)
    fig, holder, legend = _panels(shown, reference, comparators, comparator_keys, growth, notes,
                                  L, frames)
    sources = [L["source_sim"].format(n=n_text(counts)),
               L["source_comparators"] if comparators is not None else "",
               L["source_target"].format(param=T1_PARAMETER, growth=growth, base=T1_BASE_YEAR)
               if reference is not None else ""]
    title = L["fan_title"].format(first=STUDY_YEARS[0], last=STUDY_YEARS[-1])
    finish(fig, holder, title, sources, notes, L, legend)
    return fig, tidy_frame(frames)


def _panels(shown, reference, comparators, keys, growth, notes, L, frames):
    """One panel per package shown, each over the reference; returns figure, holder, legend.

    The target and the comparators are drawn in every panel, but their data rows and notes
    are kept once (from the first panel).
    """
    n = max(1, len(shown))
    ncols = 1 if n == 1 else PANEL_COLUMNS
    nrows = math.ceil(n / ncols)
    height = FIG_HEIGHT if n == 1 else PANEL_HEIGHT * nrows + PANEL_EXTRA
    fig, axes, holder = new_figure(nrows, ncols, height=height, sharey=True)
    legend = []
    for slot, ax in enumerate(axes.flat):
        if slot >= n:
            ax.set_visible(False)
            continue
        first = slot == 0
        kept_notes, kept_frames = (notes, frames) if first else ([], [])
        handles = []
        if reference is not None and (not shown or shown[slot] is not reference):
            handles.append((draw_bands(ax, reference.q, REFERENCE_COLOUR),
                            L["reference_median"].format(pkg=reference.name)))
        if shown:
            fan = shown[slot]
            line = draw_bands(ax, fan.q, package_colour(fan.index))
            handles.append((line, L["median"].format(pkg=fan.name) if n == 1 and not handles
                            else L["panel_median"]))
            if ncols > 1:
                ax.set_title(wrap_balanced(fan.name, text_columns(fig, LABEL_SIZE) // ncols),
                             fontsize=LABEL_SIZE)
        handles += band_legend(L)
        handles += _draw_target(ax, reference.q if reference else None, growth, kept_notes, L,
                                kept_frames)
        if comparators is not None:
            handles += _draw_comparators(ax, comparators, keys, kept_notes, L, kept_frames)
        _panel_axes(ax, fig, slot, n, ncols, L)
        if first:
            legend = handles
    return fig, holder, legend


def _panel_axes(ax, fig, slot, n, ncols, L):
    """Years below each panel; the axis titles once: 'year' on the bottom panels, income left."""
    year_axis(ax, STUDY_YEARS, L)
    if slot + ncols < n:  # another panel below this one
        ax.set_xlabel("")
    if ncols == 1:
        yuan_axis(ax, L["income_axis"])
        return
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if slot % ncols:
        ax.tick_params(labelleft=False)
    if slot == 0:
        columns = int(fig.get_figheight() * 72 * YLABEL_FILL / (LABEL_SIZE * LATIN_ADVANCE))
        fig.supylabel(wrap_balanced(L["income_axis"], columns), fontsize=LABEL_SIZE)


def _t1_growth(target_growth=None):
    """The T1 growth target (/1): the argument, else the parameter in force in ``T1_YEAR``."""
    if target_growth is not None:
        return float(target_growth)
    return float(ParameterTree.load()[T1_PARAMETER].at(dt.date(T1_YEAR, 1, 1)))


def _draw_target(ax, q, growth, notes, L, frames):
    """The T1 path: from the reference median in the base year to +growth a year later."""
    if q is None:
        return []
    base = q["median"].get(T1_BASE_YEAR, np.nan)
    if not np.isfinite(base):
        note(notes, L["missing_base"].format(year=T1_BASE_YEAR))
        return []
    value = base * (1 + growth)
    ax.plot([T1_BASE_YEAR, T1_YEAR], [base, value], color=TARGET_COLOUR, linestyle=":",
            linewidth=1.2)
    point = ax.plot([T1_YEAR], [value], color=TARGET_COLOUR, marker="*", markersize=11,
                    linestyle="none")[0]
    frames.append(pd.DataFrame({"series": [T1_PARAMETER], "label": ["T1"], "kind": ["target"],
                                "year": [T1_YEAR], "target": [value]}))
    return [(point, L["target_path"].format(growth=growth, year=T1_YEAR, base=T1_BASE_YEAR))]


def _draw_comparators(ax, comparators, keys, notes, L, frames):
    legend = []
    for key in keys:
        name = L["comparators"].get(key, key)
        if key not in comparators:
            note(notes, L["missing_comparator"].format(name=name))
            continue
        legend += _draw_comparator(ax, comparators[key], name, L, frames,
                                   COMPARATOR_STYLES.get(key, DEFAULT_COMPARATOR_STYLE))
    return legend


def _draw_comparator(ax, forecast, name, L, frames, style):
    """Observed years as points; forecast mean (joined to the last observation) with interval."""
    hist = forecast.history[forecast.history["year"].between(STUDY_YEARS[0], STUDY_YEARS[-1])]
    f = forecast.frame()
    f = f[f["year"].between(STUDY_YEARS[0], STUDY_YEARS[-1])]
    colour, marker = style["color"], style["marker"]
    obs = ax.plot(hist["year"], hist["value_yuan"], linestyle="none", marker=marker,
                  color=colour, markersize=6)[0]
    xs = [forecast.last_year] + f["year"].tolist()
    ys = [forecast.last_value] + f["mean"].tolist()
    mean = ax.errorbar(f["year"], f["mean"], yerr=[f["mean"] - f["pi_lower"],
                                                   f["pi_upper"] - f["mean"]],
                       fmt="none", ecolor=colour, elinewidth=1, capsize=3)
    ax.plot(xs, ys, color=colour, linestyle=style["linestyle"], linewidth=1.3)
    level = f"{1 - COMPARATOR_ALPHA:.0%}"
    frames.append(hist[["year"]].assign(observed=hist["value_yuan"].to_numpy(),
                                        series=forecast.key, label=name, kind="observed"))
    frames.append(f.assign(series=forecast.key, label=name, kind="forecast"))
    handle = (Line2D([], [], color=colour, linestyle=style["linestyle"]), mean)
    return [(handle, L["comparator_forecast"].format(name=name, level=level)),
            (obs, L["comparator_observed"].format(name=name))]
