"""Component chart: migrants' income by component (wages, operating, property, transfers)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .data import ALL_MIGRANTS, COMPONENTS, STUDY_YEARS, TOTAL, select
from .style import (LABEL_SIZE, TICK_SIZE, display_name, finish, labels_for, n_text, new_figure,
                    note, text_columns, wrap_balanced, year_axis, years_text, yuan_axis)

NAME = "components"

PANEL_HEIGHT = 3.4         # inches per row of panels (one panel per package)
PANEL_EXTRA = 1.6          # inches for title, legend and footer around the panels
COMPONENT_COLOURS = {"wages": "#0072B2", "operating": "#E69F00", "property": "#009E73",
                     "transfers": "#CC79A7"}
AXES_WIDTH_SHARE = 0.85    # share of the figure's width left to the axes beside the y-axis label
TICK_GAP_COLUMNS = 2       # half-width columns kept free between neighbouring package names
REPORT_YEAR = STUDY_YEARS[-1]  # the report shows the components of the last study year

TEXT = {
    "zh": {
        "component_axis": "人均收入（元/人·年）",
        "component_title": "移民人均收入构成（各次重复的平均值）",
        "component_year_title": "{year}年移民人均收入构成（各次重复的平均值）",
        "disposable_marker": "可支配收入平均值",
        "source_components": "来源：sim模型模拟，每个方案{n}次重复；各分项取各次重复的平均值，其和等于可支配收入平均值（菱形）。",
    },
    "en": {
        "component_axis": "Per-capita income (yuan per person per year)",
        "component_title": "Migrants' per-capita income by component (means over replications)",
        "component_year_title": "Migrants' per-capita income by component, {year} "
                                "(means over replications)",
        "disposable_marker": "Disposable income (mean)",
        "source_components": "Source: sim model ensemble, {n} replications per package; each "
                             "component is its mean across replications, so they add up to the mean "
                             "disposable income (diamond).",
    },
}


def draw(inputs, lang):
    """The chart of a comparison (``sim.charts.ChartInputs``) in ``lang``: the last year."""
    return component_chart(inputs.runs, lang, year=REPORT_YEAR)


def component_chart(runs, lang="zh", year=None):
    """Stacked bars of the income components (means across replications, which add up).

    Parameters
    ----------
    runs : dict
        Package (``Label`` or str) -> ``income_yearly`` table with ``replication``.
    lang : {"zh", "en"}
    year : int, optional
        None: one panel per package with a bar per year. A year: one bar per package.

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        ``package, year, component, mean`` (yuan per person per year), components and
        ``disposable``.
    """
    L, notes = labels_for(lang, TEXT), []
    medians, counts = {}, []
    for key, df in runs.items():
        pkg = display_name(key, lang)
        table = _component_medians(df, pkg, STUDY_YEARS if year is None else (year,), notes, L)
        if table is not None:
            medians[pkg] = table
            counts.append(df["replication"].nunique())
    if not runs:
        note(notes, L["no_packages"])
    if year is None:
        fig, holder = _components_by_year(medians, L)
        title = L["component_title"]
    else:
        fig, holder = _components_by_package(medians, year, L)
        title = L["component_year_title"].format(year=year)
    legend = [(Patch(color=COMPONENT_COLOURS[c]), L["components"][c]) for c in COMPONENTS]
    legend.append((Line2D([], [], marker="D", color="black", linestyle="none"),
                   L["disposable_marker"]))
    source = L["source_components"].format(n=n_text(counts))
    finish(fig, holder, title, [source], notes, L, legend, ncol=3)
    rows = [m.reset_index().melt(id_vars="year", var_name="component", value_name="mean")
            .assign(package=p) for p, m in medians.items()]
    data = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["year", "component", "mean", "package"])
    return fig, data[["package", "year", "component", "mean"]]


def _component_medians(df, pkg, years, notes, L):
    """Year x component table of means across replications (means add up); missing years as NaN rows."""
    sel = select(df, notes, pkg, L, L["components"][TOTAL], group=ALL_MIGRANTS[0],
                  subgroup=ALL_MIGRANTS[1])
    if sel is None:
        return None
    sel = sel[sel["component"].isin(COMPONENTS + (TOTAL,))]
    table = sel.groupby(["year", "component"])["yuan_per_person"].mean().unstack()
    missing = [y for y in years if y not in table.index]
    if missing:
        note(notes, L["missing_years"].format(pkg=pkg, years=years_text(missing, L)))
    absent = [L["components"][c] for c in COMPONENTS + (TOTAL,) if c not in table.columns]
    if absent:
        note(notes, L["missing_indicator"].format(pkg=pkg, what=L["year_list_sep"].join(absent)))
    return table.reindex(index=list(years), columns=list(COMPONENTS + (TOTAL,)))


def _stack(ax, xs, table, width):
    """Stack components up from zero (positive) and down from zero (negative)."""
    up, down = np.zeros(len(xs)), np.zeros(len(xs))
    for c in COMPONENTS:
        v = table[c].fillna(0).to_numpy()
        base = np.where(v >= 0, up, down)
        ax.bar(xs, v, width, bottom=base, color=COMPONENT_COLOURS[c], edgecolor="white",
               linewidth=0.5)
        up, down = up + np.clip(v, 0, None), down + np.clip(v, None, 0)
    ax.plot(xs, table[TOTAL].to_numpy(), marker="D", color="black", linestyle="none",
            markersize=4.5)


def _components_by_year(medians, L):
    n = max(1, len(medians))
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig, axes, holder = new_figure(nrows, ncols, height=PANEL_HEIGHT * nrows + PANEL_EXTRA,
                                sharey=True)
    for ax, (pkg, table) in zip(axes.flat, medians.items()):
        _stack(ax, np.array(table.index), table, 0.7)
        ax.set_title(wrap_balanced(pkg, text_columns(fig, LABEL_SIZE) // ncols), fontsize=LABEL_SIZE)
        year_axis(ax, STUDY_YEARS, L)
    for ax in axes.flat[len(medians):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        yuan_axis(ax, L["component_axis"])
    return fig, holder


def _components_by_package(medians, year, L):
    fig, axes, holder = new_figure()
    ax = axes[0, 0]
    names = list(medians)
    table = pd.concat([m.loc[[year]] for m in medians.values()], ignore_index=True) if names \
        else pd.DataFrame(columns=list(COMPONENTS + (TOTAL,)))
    xs = np.arange(len(names))
    _stack(ax, xs, table, 0.6)
    ax.set_xticks(xs)
    # Each name gets its bar's share of the axes' width, less a gap, so that neighbours do not
    # touch; the axes' width is estimated, since the layout is done only when drawing.
    width = int(text_columns(fig, TICK_SIZE) * AXES_WIDTH_SHARE) // max(1, len(names)) \
        - TICK_GAP_COLUMNS
    ax.set_xticklabels([wrap_balanced(p, width) for p in names], fontsize=TICK_SIZE)
    yuan_axis(ax, L["component_axis"])
    return fig, holder
