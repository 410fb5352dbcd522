"""The design frontier chart: extra fiscal cost against P(T1) and P(T1 and T2), in Chinese or English."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from ..design_eval import JOINT
from .fan import TARGET_COLOUR
from .style import (COST_SCALE, COST_UNIT, LABEL_SIZE, PACKAGE_COLOURS, PERCENT, finish, labels_for,
                    new_figure, ylabel)

TRIAL_COLOUR = "#BBBBBB"
TRIAL_SIZE = 12     # points^2: every trial, small and grey behind the frontiers
WINNER_SIZE = 140   # points^2: the re-checked winner
MC_Z = 1.96         # error bars: +/- 1.96 Monte Carlo standard errors of the re-check

TEXT = {
    "zh": {"title": "设计搜索：新增财政支出与目标达成概率", "x": "2021–2025年新增财政支出（{unit}）",
           "y": "达成概率（%）", "trials": "搜索中的方案（{n}个）", "T1": "前沿：P(T1)",
           JOINT: "前沿：P(T1且T2)", "constraint": "约束 P({k}) ≥ {p:.0%}",
           "winner": "复核后的最优方案 P(T1)（±1.96倍蒙特卡罗误差）",
           "closest": "未满足约束；最接近的方案复核后的 P(T1)（±1.96倍蒙特卡罗误差）",
           "source": "来源：sim design，搜索 {sr} 次重复×{sh:,} 户（共同随机数），复核 {rr} 次重复×{rh:,} 户（新种子 {seed}）。"},
    "en": {"title": "Design search: extra fiscal cost against target probability",
           "x": "Extra fiscal cost 2021–2025 ({unit})", "y": "Probability of meeting the target (%)",
           "trials": "Packages tried ({n})", "T1": "Frontier: P(T1)", JOINT: "Frontier: P(T1 and T2)",
           "constraint": "Constraint P({k}) ≥ {p:.0%}", "winner": "Re-checked winner, P(T1) (±1.96 MC errors)",
           "closest": "Constraints not met: closest package re-checked, P(T1) (±1.96 MC errors)",
           "source": "Source: sim design; search {sr} replications x {sh:,} households (common random numbers), "
                     "re-check {rr} replications x {rh:,} households (fresh seed {seed})."},
}


def frontier_chart(result, lang="zh"):
    """Every trial, the two frontiers, the T1 constraint and the re-checked winner.

    Parameters
    ----------
    result : sim.design.DesignResult
    lang : {"zh", "en"}

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        The frontier points drawn (``frontier``, cost in the axis unit, probability in %).
    """
    L, T = labels_for(lang), TEXT[lang]
    unit, scale = COST_UNIT[lang], COST_SCALE  # one cost unit in every chart
    spec, trials = result.spec, result.trials
    fig, axes, holder = new_figure()
    ax = axes[0, 0]
    ax.scatter(trials.extra_cost_yuan / scale, trials.P_T1 * PERCENT, s=TRIAL_SIZE, color=TRIAL_COLOUR, zorder=1)
    legend = [(Line2D([], [], color=TRIAL_COLOUR, marker="o", linestyle=""), T["trials"].format(n=len(trials)))]
    frames = []
    for i, key in enumerate(("T1", JOINT)):
        f = result.frontier[result.frontier.frontier == key].sort_values("extra_cost_yuan")
        x, y = f.extra_cost_yuan / scale, f[f"P_{key}"] * PERCENT
        ax.step(x, y, where="post", color=PACKAGE_COLOURS[i], marker="o", markersize=4, zorder=2)
        legend.append((Line2D([], [], color=PACKAGE_COLOURS[i], marker="o"), T[key]))
        frames.append(pd.DataFrame({"frontier": key, "trial": f.trial, "extra_cost_axis_unit": x,
                                    "probability_pct": y}))
    if "T1" in spec.constraints:
        p = spec.constraints["T1"]
        ax.axhline(p * PERCENT, color=TARGET_COLOUR, linestyle="--", linewidth=1)
        legend.append((Line2D([], [], color=TARGET_COLOUR, linestyle="--"), T["constraint"].format(k="T1", p=p)))
    w, confirmed = result.winner, result.winner is not None
    if w is None and len(result.recheck):  # nothing confirmed: show the closest candidate re-checked
        w = result.recheck.iloc[0]
    if w is not None:
        x, y, e = w.recheck_extra_cost_yuan / scale, w.recheck_P_T1 * PERCENT, MC_Z * w.recheck_P_T1_se * PERCENT
        ax.errorbar([x], [y], yerr=[[min(e, y)], [min(e, PERCENT - y)]], fmt="none", color="black", capsize=3)
        ax.scatter([x], [y], marker="*", s=WINNER_SIZE, color="black" if confirmed else "white",
                   edgecolors="black", zorder=3)
        key = "winner" if confirmed else "closest"
        legend.append((Line2D([], [], color="black", marker="*", linestyle="", markersize=10,
                              markerfacecolor="black" if confirmed else "white"), T[key]))
        frames.append(pd.DataFrame({"frontier": [f"{key} (re-checked)"], "trial": [w.trial],
                                    "extra_cost_axis_unit": [x], "probability_pct": [y]}))
    ax.set_ylim(-2, PERCENT + 2)
    ax.set_xlabel(T["x"].format(unit=unit), fontsize=LABEL_SIZE)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ylabel(ax, T["y"])
    s, r = spec.search, spec.recheck
    source = T["source"].format(sr=s["replications"], sh=s["households"], rr=r["replications"],
                                rh=r["households"], seed=r["seed"])
    finish(fig, holder, T["title"], [source], [], L, legend)
    data = pd.concat(frames, ignore_index=True)
    data["probability_pct"] = np.round(data["probability_pct"], 3)
    return fig, data

