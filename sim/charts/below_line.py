"""Below-line chart: share of households below the monitoring line, median and bands."""
from __future__ import annotations

from .bands import band_legend, draw_bands, quantile_table
from .data import STUDY_YEARS, select, tidy_frame
from .style import (PERCENT, display_name, finish, labels_for, n_text, new_figure, note,
                    package_colour, year_axis, ylabel)

NAME = "below_line"

BELOW_LINE = "below_monitoring_line_share"  # indicator of households_yearly.csv

TEXT = {
    "zh": {
        "share_axis": "家庭占比（%）",
        "below_title": "人均收入低于监测线的家庭占比",
    },
    "en": {
        "share_axis": "Share of households (%)",
        "below_title": "Share of households below the monitoring line",
    },
}


def draw(inputs, lang):
    """The chart of a comparison (``sim.charts.ChartInputs``) in ``lang``."""
    return below_line_chart(inputs.households, lang)


def below_line_chart(households, lang="zh"):
    """Share of households below the monitoring line: median and bands across replications.

    Parameters
    ----------
    households : dict
        Package (``Label`` or str) -> ``households_yearly`` table with ``replication``.
    lang : {"zh", "en"}

    Returns
    -------
    figure : matplotlib.figure.Figure
    data : pandas.DataFrame
        ``series, label, kind, year``, quantiles ``p10 ... p90`` of the share (/1) and
        ``replications``.
    """
    L, notes = labels_for(lang, TEXT), []
    fig, axes, holder = new_figure()
    ax = axes[0, 0]
    legend, frames, counts = [], [], []
    for i, (key, df) in enumerate(households.items()):
        pkg = display_name(key, lang)
        sel = select(df, notes, pkg, L, BELOW_LINE, indicator=BELOW_LINE)
        if sel is None:
            continue
        q = quantile_table(sel, "value", STUDY_YEARS, pkg, notes, L)
        line = draw_bands(ax, q, package_colour(i), scale=PERCENT)
        legend.append((line, L["median"].format(pkg=pkg)))
        frames.append(q.reset_index().assign(series=str(key), label=pkg, kind="simulated"))
        counts.append(sel["replication"].nunique())
    if not households:
        note(notes, L["no_packages"])
    legend += band_legend(L)
    year_axis(ax, STUDY_YEARS, L)
    ylabel(ax, L["share_axis"])
    ax.set_ylim(bottom=0)
    source = L["source_sim"].format(n=n_text(counts))
    finish(fig, holder, L["below_title"], [source], notes, L, legend)
    return fig, tidy_frame(frames)
