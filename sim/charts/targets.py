"""Target chart: probability of each target per package, with Monte Carlo error bars."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .style import (FIG_HEIGHT, LABEL_SIZE, LEGEND_SIZE, PERCENT, TICK_SIZE, WARNING_COLOUR,
                    display_name, finish, labels_for, new_figure, note, package_colour,
                    wrap_balanced)

NAME = "targets"

TARGET_BAR_INCHES = 0.3    # height per bar ...
TARGET_EXTRA_INCHES = 2.0  # ... plus title, axis, legend and footer
TARGET_GROUP_HEIGHT = 0.8  # share of a target's slot taken by its bars ...
TARGET_BAR_FILL = 0.92     # ... and share of a bar's place it fills
BAR_LABEL_GAP = 1          # gap between error bar and value label, in %
PROBABILITY_XMAX = 1.12    # x-axis end, times 100%, leaving room for labels
MC_Z = 1.96                # error bars: +/- 1.96 Monte Carlo standard errors

TEXT = {
    "zh": {
        "probability_axis": "达成概率（%）",
        "target_title": "各项目标的达成概率",
        "probability_bar": "{pkg}",
        "no_bar": "无数据",
        "source_targets": "来源：sim模型模拟及可比人群预测（sim targets）；误差线为±{z}倍蒙特卡洛标准误。",
        "missing_target": "“{pkg}”缺少目标{target}",
    },
    "en": {
        "probability_axis": "Probability of meeting the target (%)",
        "target_title": "Probability of meeting each target",
        "probability_bar": "{pkg}",
        "no_bar": "no data",
        "source_targets": "Source: sim model ensemble and comparator forecasts (sim targets); "
                          "error bars are ±{z} Monte Carlo standard errors.",
        "missing_target": "'{pkg}' lacks target {target}",
    },
}


def draw(inputs, lang):
    """The chart of a comparison (``sim.charts.ChartInputs``) in ``lang``."""
    return target_chart(inputs.targets, lang)


def target_chart(targets, lang="zh"):
    """Grouped horizontal bars: probability of each target, per package, with MC error bars.

    Parameters
    ----------
    targets : dict
        Package (``Label`` or str) -> ``targets.csv`` table (``target, label_zh, label_en,
        probability, mc_error`` ...), as written by ``sim targets``.
    lang : {"zh", "en"}

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        ``package, target, label, probability, mc_error`` (probabilities /1).
    """
    L, notes = labels_for(lang, TEXT), []
    order = _target_order(targets, lang)
    n_bars = len(order) * max(1, len(targets))
    fig, axes, holder = new_figure(height=max(FIG_HEIGHT, TARGET_BAR_INCHES * n_bars
                                           + TARGET_EXTRA_INCHES))
    ax = axes[0, 0]
    height = TARGET_GROUP_HEIGHT / max(1, len(targets))
    legend, rows = [], []
    if not targets:
        note(notes, L["no_packages"])
    for i, (key, df) in enumerate(targets.items()):
        pkg = display_name(key, lang)
        if df is None or df.empty:
            note(notes, L["missing_package"].format(pkg=pkg))
        offset = (i - (len(targets) - 1) / 2) * height
        _target_bars(ax, df, order, offset, height, package_colour(i), pkg, notes, L, rows)
        legend.append((Patch(color=package_colour(i)), L["probability_bar"].format(pkg=pkg)))
    _target_axes(ax, order, L)
    source = L["source_targets"].format(z=MC_Z)
    finish(fig, holder, L["target_title"], [source], notes, L, legend)
    return fig, pd.DataFrame(rows, columns=["package", "target", "label", "probability",
                                            "mc_error"])


def _target_order(targets, lang):
    """Targets in order of first appearance, with their label in ``lang``."""
    order = {}
    for df in targets.values():
        if df is None or df.empty:
            continue
        for row in df.itertuples():
            order.setdefault(row.target, getattr(row, f"label_{lang}", row.target))
    return order


def _target_bars(ax, df, order, offset, height, colour, pkg, notes, L, rows):
    """One package's bars at ``offset`` within each target's slot; 'no data' where it has none."""
    have = pd.DataFrame() if df is None or df.empty else df.set_index("target")
    ys, ps, errs = [], [], []
    for j, (target, label) in enumerate(order.items()):
        y = j + offset
        if target not in have.index:
            if len(have):  # a package with no table at all is noted once, by the caller
                note(notes, L["missing_target"].format(pkg=pkg, target=target))
            ax.text(0.5, y, L["no_bar"], va="center", fontsize=LEGEND_SIZE, color=WARNING_COLOUR)
            continue
        p, e = float(have.loc[target, "probability"]), float(have.loc[target, "mc_error"])
        ys.append(y), ps.append(p), errs.append(e)
        rows.append((pkg, target, label, p, e))
    ps, errs = np.array(ps) * PERCENT, np.array(errs) * PERCENT * MC_Z
    lo, hi = np.minimum(errs, ps), np.minimum(errs, PERCENT - ps)
    ax.barh(ys, ps, height=height * TARGET_BAR_FILL, color=colour, xerr=[lo, hi],
            error_kw=dict(ecolor="#222222", elinewidth=0.9, capsize=2))
    for y, p, h in zip(ys, ps, hi):
        ax.text(p + h + BAR_LABEL_GAP, y, f"{p:.0f}%", va="center", fontsize=LEGEND_SIZE,
                color=colour)


def _target_axes(ax, order, L):
    ax.set_yticks(range(len(order)))
    labels = [wrap_balanced(f"{t} {label}", L["wrap_ticks"]) for t, label in order.items()]
    ax.set_yticklabels(labels, fontsize=TICK_SIZE)
    ax.invert_yaxis()
    ax.set_xlim(0, PERCENT * PROBABILITY_XMAX)
    ax.set_xticks(np.linspace(0, PERCENT, 6))
    ax.set_xlabel(L["probability_axis"], fontsize=LABEL_SIZE)
    ax.grid(False, axis="y")
