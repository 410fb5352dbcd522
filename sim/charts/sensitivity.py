"""Sensitivity chart: the parameters that decide each target's figure, with intervals and the noise floor."""
from __future__ import annotations

import pandas as pd

from ..sensitivity import DUMMY, FIGURES, noise_floor, ranking
from .style import WARNING_COLOUR, finish, labels_for, new_figure, package_colour

NAME = "sensitivity"

PANEL_HEIGHT = 2.4     # inches per figure's panel
PARAMETER_SIZE = 6     # points: parameter names on the y axis (ten per panel)
# The method a chart shows when none is asked for: the first of these the table holds.
PREFERRED = ("delta", "sobol_ST", "morris", "rbd_fast", "pawn", "sobol_S1")
GIVEN_DATA = ("delta", "pawn", "rbd_fast")
ERROR_COLOUR = "#555555"

TEXT = {
    "zh": {"sens_title": "哪些参数决定目标（{method}指数，95%置信区间）",
           "sens_given": "来源：sim sensitivity，基于集合自身的拉丁超立方抽样。*为假设参数；"
                         "虚线为噪声下限（虚拟参数区间上端）",
           "sens_design": "来源：sim sensitivity --method {design}，设计自行运行模型。*为假设参数；"
                          "虚线为噪声下限（虚拟参数区间上端）",
           "figures": {k: v[0] for k, v in FIGURES.items()}},
    "en": {"sens_title": "What decides the targets ({method} index, 95% intervals)",
           "sens_given": "Source: sim sensitivity on the ensemble's own Latin hypercube draws. * assumption; "
                         "dashed: noise floor (upper end of a dummy parameter's interval)",
           "sens_design": "Source: sim sensitivity --method {design}, the design's own model runs. * assumption; "
                          "dashed: noise floor (upper end of a dummy parameter's interval)",
           "figures": {k: v[1] for k, v in FIGURES.items()}},
}


def draw(inputs, lang, method=None):
    """The chart of ``inputs.sensitivity`` (a ``sensitivity.csv`` table), or None without one."""
    table = getattr(inputs, "sensitivity", None)
    if table is None or not len(table):
        return None
    return sensitivity_chart(table, lang, method)


def shown_method(table, method=None):
    """``method``, or the first of ``PREFERRED`` that ``table`` holds."""
    return method or next((m for m in PREFERRED if m in set(table.method)), table.method.iloc[0])


def sensitivity_chart(table, lang="zh", method=None, tree=None):
    """Horizontal bars: the top parameters per figure with their confidence intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        ``target, parameter, index, ci_low, ci_high, method`` (``sim.sensitivity``).
    lang : {"zh", "en"}
    method : str, optional
        The method shown (default: ``shown_method``).
    tree : sim.parameters.ParameterTree, optional
        Where the parameters' labels come from (default: the parameter files).

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        The rows drawn, with the parameter's ``label``.
    """
    from ..parameters import ParameterTree
    L, method = labels_for(lang, TEXT), shown_method(table, method)
    tree = tree or ParameterTree.load()
    targets = [t for t in FIGURES if t in set(table.target)]
    fig, axes, holder = new_figure(nrows=max(1, len(targets)), height=PANEL_HEIGHT * max(1, len(targets)))
    data = []
    for ax, target in zip(axes[:, 0], targets):
        top = ranking(table, target, method).iloc[::-1]
        names = [parameter_label(tree, p, lang) for p in top.parameter]
        ax.barh(names, top["index"], color=package_colour(0),
                xerr=[top["index"] - top["ci_low"], top["ci_high"] - top["index"]], ecolor=ERROR_COLOUR)
        ax.axvline(noise_floor(table, target, method), color=WARNING_COLOUR, linestyle="--", linewidth=0.8)
        ax.set_title(L["figures"][target], fontsize=9, loc="left")
        ax.tick_params(axis="y", labelsize=PARAMETER_SIZE)
        data.append(top.assign(label=names))
    design = method.split("_")[0]
    source = L["sens_given"] if method in GIVEN_DATA else L["sens_design"].format(design=design)
    finish(fig, holder, L["sens_title"].format(method=method), [source], [], L)
    return fig, pd.concat(data, ignore_index=True) if data else table.head(0)


def parameter_label(tree, path, lang):
    """A parameter's label in ``lang`` (its path if it has none), with * if it is an assumption."""
    if path not in tree.parameters:
        return path if path != DUMMY else {"zh": "（虚拟参数）", "en": "(dummy)"}[lang]
    md = tree[path].metadata
    return md.get("label", {}).get(lang, path) + ("*" if md.get("assumption") else "")
