"""Charts of ensembles, in Chinese or English, each saved with the data behind it.

Five charts (DESIGN.md section 7):

``fan_chart``
    Per-capita disposable income of all migrants, median and quantile bands across replications,
    per package, with comparator forecasts and the T1 growth target beside it.
``target_chart``
    Probability of each target per package, with Monte Carlo error bars.
``component_chart``
    Income by component (wages, net operating, net property, net transfers), stacked means.
``below_line_chart``
    Share of households below the monitoring line, median and 10-90% band.
``cost_effect_chart``
    Extra fiscal cost of each package against its 2025 income gain over the baseline.

Every chart function takes tables already in memory (``load_ensemble`` reads a directory) and
returns ``(figure, data)``: a :class:`matplotlib.figure.Figure` (made without pyplot, so no
global figure state) and the DataFrame drawn. ``save`` writes both as PNG, SVG and CSV.
``lang`` ("zh" or "en") selects every piece of text. Nothing is dropped silently: a package
without data, or missing years, gets a note printed in the figure and a logged warning.

Packages are named by the keys of the dicts passed in: a ``Label`` (Chinese and English name,
as ``load_ensemble`` gives) or a plain string used in both languages.

Examples
--------
>>> from sim import plots, forecast                                   # doctest: +SKIP
>>> base = plots.load_ensemble("results/baseline-seed0-h50000-r200")  # doctest: +SKIP
>>> runs = {base.label: base.income}                                    # doctest: +SKIP
>>> fig, data = plots.fan_chart(runs, forecast.fit_all(), lang="zh")  # doctest: +SKIP
>>> plots.save(fig, data, "results/charts/fan_zh")                    # doctest: +SKIP
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from .forecast import ALPHA as COMPARATOR_ALPHA
from .parameters import ParameterTree
from .runner import CSV_ENCODING, FLOAT_FORMAT
from .scenario import FIRST_MONTH, LAST_MONTH

log = logging.getLogger(__name__)

__all__ = ["Label", "Ensemble", "LABELS", "load_ensemble", "fan_chart", "target_chart",
           "component_chart", "below_line_chart", "cost_effect_chart", "save", "CJK_FAMILY",
           "CJK_FONT_PATH"]

# --------------------------------------------------------------------------- fonts

# The CJK font comes from the PyPI package noto-cjk-sans-otc (pinned in pyproject.toml): Noto
# Sans CJK 2.004 Regular as an OpenType collection (SIL OFL 1.1), byte-identical to the file in
# Debian's fonts-noto-cjk. Registering the file itself with addfont at import means the charts
# do not depend on fonts installed on the machine, nor on matplotlib's font cache (a stale cache
# would not list a font installed after it was built). The collection holds JP, KR, SC, TC and
# HK faces; matplotlib (3.11 here) registers every face, and the family name below picks the
# Simplified Chinese one (face 2), so glyphs take their mainland forms.
CJK_FONT_PACKAGE = "noto_cjk_sans_otc"
CJK_FONT_FILE = "NotoSansCJK-Regular.ttc"
CJK_FAMILY = "Noto Sans CJK SC"
LATIN_FAMILY = "DejaVu Sans"  # matplotlib's bundled default


def _register_cjk_font():
    """Add the packaged Noto Sans CJK collection to matplotlib's font manager.

    Returns
    -------
    pathlib.Path or None
        The font file, or None (with a logged warning) if the package is missing, in which case
        Chinese text renders only if the machine has a font named ``CJK_FAMILY``.
    """
    try:
        ref = resources.files(CJK_FONT_PACKAGE) / CJK_FONT_FILE
    except ModuleNotFoundError:
        log.warning("%s is not installed: Chinese text needs a system font named %r "
                    "(pip install -e . installs it)", CJK_FONT_PACKAGE, CJK_FAMILY)
        return None
    path = Path(os.fspath(ref))  # an installed wheel is a plain directory, not a zip
    font_manager.fontManager.addfont(str(path))
    return path


CJK_FONT_PATH = _register_cjk_font()

matplotlib.rcParams.update({
    # Latin letters and digits in DejaVu Sans; every glyph DejaVu lacks (Chinese characters,
    # full-width punctuation) falls back, glyph by glyph (matplotlib 3.6+), to Noto Sans CJK SC.
    "font.family": [LATIN_FAMILY, CJK_FAMILY],
    # A true minus sign (U+2212) on negative tick labels: both fonts have the glyph (the usual
    # advice to switch this off comes from SimHei, which lacks it).
    "axes.unicode_minus": True,
    # SVG: glyphs as outlines, so the file looks the same on a machine without Noto CJK (with
    # 'none' the viewer would substitute its own font or show boxes). The text is then not
    # selectable; the CSV beside each chart carries the numbers and labels.
    "svg.fonttype": "path",
    # A fixed salt makes SVG element ids, and so SVG files, reproducible run to run.
    "svg.hashsalt": "sim.plots",
    # PDF (not written by save, but by anyone calling savefig): embed subsetted TrueType/CFF
    # fonts (42) rather than Type 3 outlines, so text stays searchable and publishers accept
    # it; with subsetting a CJK PDF stays small (a test figure: 20 kB against 19 kB for Type 3).
    "pdf.fonttype": 42,
})

# --------------------------------------------------------------------------- style

FIG_WIDTH = 7.0            # inches: a full text width in print (178 mm)
FIG_HEIGHT = 5.6           # inches, single-panel charts
PANEL_HEIGHT = 3.4         # inches per row of panels (component chart)
PANEL_EXTRA = 1.6          # inches for title, legend and footer around the panels
TARGET_BAR_INCHES = 0.3    # target chart: height per bar ...
TARGET_EXTRA_INCHES = 2.0  # ... plus title, axis, legend and footer
TARGET_GROUP_HEIGHT = 0.8  # target chart: share of a target's slot taken by its bars ...
TARGET_BAR_FILL = 0.92     # ... and share of a bar's place it fills
BAR_LABEL_GAP = 1          # target chart: gap between error bar and value label, in %
PROBABILITY_XMAX = 1.12    # target chart: x-axis end, times 100%, leaving room for labels
COST_X_MARGIN = 0.25       # cost chart: room right of the costliest package for its label
LEGEND_STRIP = 1e-3        # height of the legend's strip relative to a row of axes
PNG_DPI = 300
TITLE_SIZE = 11            # points
LABEL_SIZE = 9
TICK_SIZE = 8.5
LEGEND_SIZE = 8
NOTE_SIZE = 7.5
LATIN_ADVANCE = 0.55       # average advance of a Latin character, in em, for wrapping text
LEGEND_HANDLE_EM = 6.0     # legend handle, padding and column gap, in em
YLABEL_FILL = 0.6          # a y-axis label may take this share of the axes' height (before layout)
NOTE_COLOUR = "#333333"
WARNING_COLOUR = "#B00020"
GRID_COLOUR = "#DDDDDD"
PACKAGE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                   "#000000", "#F0E442")  # Okabe-Ito: distinguishable with colour-blindness
COMPONENT_COLOURS = {"wages": "#0072B2", "operating": "#E69F00", "property": "#009E73",
                     "transfers": "#CC79A7"}
COMPARATOR_STYLES = {"zhongwei_rural": dict(color="#444444", linestyle="--", marker="s"),
                     "ningxia_rural": dict(color="#000000", linestyle=":", marker="^"),
                     "zhongwei_urban": dict(color="#777777", linestyle="-.", marker="D"),
                     "ningxia_urban": dict(color="#777777", linestyle="--", marker="v")}
DEFAULT_COMPARATOR_STYLE = dict(color="#555555", linestyle="--", marker="o")
BAND_ALPHA = {"outer": 0.15, "inner": 0.32}
ISOLATED_BAND_WIDTH = {"outer": 3, "inner": 7}  # points: bands of a year with no neighbours
TARGET_COLOUR = "#B00020"

# --------------------------------------------------------------------------- quantities

STUDY_YEARS = tuple(range(FIRST_MONTH.year, LAST_MONTH.year + 1))
QUANTILES = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}
BANDS = {"outer": ("p10", "p90"), "inner": ("p25", "p75")}
COMPONENTS = ("wages", "operating", "property", "transfers")
TOTAL = "disposable"
ALL_MIGRANTS = ("all", "all")  # income_yearly group, subgroup
BELOW_LINE = "below_monitoring_line_share"
COMPARATOR_KEYS = ("zhongwei_rural", "ningxia_rural")
T1_PARAMETER = "targets.t1_growth"
T1_BASE_YEAR = STUDY_YEARS[0]      # T1 (sim.targets.t1): growth from the first study year ...
T1_YEAR = T1_BASE_YEAR + 1         # ... to the next
MC_Z = 1.96                        # target error bars: +/- 1.96 Monte Carlo standard errors
PERCENT = 100
COST_COLUMNS = ("scenario", "label_zh", "label_en", "extra_cost_yuan")
GAIN_PATTERN = re.compile(r"^gain_(\d{4})_(median|p10|p90)$")

# --------------------------------------------------------------------------- labels

LABELS = {
    "zh": {
        "year": "年份",
        "income_axis": "人均可支配收入（元/人·年）",
        "component_axis": "人均收入（元/人·年）",
        "share_axis": "家庭占比（%）",
        "probability_axis": "达成概率（%）",
        "cost_axis": "{first}–{last}年新增财政支出（{unit}）",
        "gain_axis": "{year}年人均可支配收入比基线增加（元/人·年）",
        "cost_unit": ("万元", 1e4),
        "fan_title": "移民人均可支配收入，{first}–{last}年",
        "target_title": "各项目标的达成概率",
        "component_title": "移民人均收入构成（各次重复的平均值）",
        "component_year_title": "{year}年移民人均收入构成（各次重复的平均值）",
        "below_title": "人均收入低于监测线的家庭占比",
        "cost_title": "新增财政支出与{year}年收入增量",
        "median": "{pkg}（中位数）",
        "band_outer": "10%–90%分位区间",
        "band_inner": "25%–75%分位区间",
        "comparator_forecast": "{name}：预测均值及{level}区间",
        "comparator_observed": "{name}：统计数",
        "target_path": "目标T1：{year}年比{base}年增长{growth:.0%}",
        "disposable_marker": "可支配收入平均值",
        "gain_range": "中位数及10%–90%区间",
        "probability_bar": "{pkg}",
        "no_bar": "无数据",
        "comparators": {"zhongwei_rural": "中卫市农村居民", "zhongwei_urban": "中卫市城镇居民",
                        "ningxia_rural": "宁夏农村居民", "ningxia_urban": "宁夏城镇居民",
                        "china_rural": "全国农村居民", "china_urban": "全国城镇居民",
                        "china_poverty_area_rural": "全国脱贫地区农村居民"},
        "components": {"wages": "工资性收入", "operating": "经营净收入", "property": "财产净收入",
                       "transfers": "转移净收入", "disposable": "可支配收入"},
        "source_sim": "来源：sim模型模拟，每个方案{n}次重复；阴影为各次重复的分位数区间。",
        "source_comparators": "可比人群：统计数及预测（sim/data/income_series.csv，sim.forecast）。",
        "source_target": "目标：参数{param}（{growth:.0%}）乘以首个方案{base}年的中位数。",
        "source_targets": "来源：sim模型模拟及可比人群预测（sim targets）；误差线为±{z}倍蒙特卡洛标准误。",
        "source_components": "来源：sim模型模拟，每个方案{n}次重复；各分项取各次重复的平均值，其和等于可支配收入平均值（菱形）。",
        "source_cost": "来源：sim模型模拟；收入增量为与基线相比的{year}年人均可支配收入，误差线为10%–90%区间。",
        "note": "注意：",
        "note_sep": "；",
        "source_sep": "",
        "note_end": "。",
        "wrap_ticks": 34,
        "missing_years": "“{pkg}”缺少{years}年的数据",
        "missing_package": "“{pkg}”没有数据",
        "no_packages": "没有任何方案的数据",
        "missing_indicator": "“{pkg}”没有“{what}”的数据",
        "short_years": "“{pkg}”在{years}年只有部分重复（{n}/{total}次）",
        "missing_comparator": "缺少可比人群“{name}”的预测",
        "missing_target": "“{pkg}”缺少目标{target}",
        "missing_base": "首个方案缺少{year}年数据，未画出目标T1",
        "missing_values": "“{pkg}”的数据不完整（{what}），未画出",
        "year_list_sep": "、",
    },
    "en": {
        "year": "Year",
        "income_axis": "Per-capita disposable income (yuan per person per year)",
        "component_axis": "Per-capita income (yuan per person per year)",
        "share_axis": "Share of households (%)",
        "probability_axis": "Probability of meeting the target (%)",
        "cost_axis": "Extra fiscal cost {first}–{last} ({unit})",
        "gain_axis": "Income gain over baseline in {year} (yuan per person per year)",
        "cost_unit": ("million yuan", 1e6),
        "fan_title": "Per-capita disposable income of migrants, {first}–{last}",
        "target_title": "Probability of meeting each target",
        "component_title": "Migrants' per-capita income by component (means over replications)",
        "component_year_title": "Migrants' per-capita income by component, {year} "
                                "(means over replications)",
        "below_title": "Share of households below the monitoring line",
        "cost_title": "Extra fiscal cost and income gain in {year}",
        "median": "{pkg} (median)",
        "band_outer": "10–90% range",
        "band_inner": "25–75% range",
        "comparator_forecast": "{name}: forecast mean and {level} interval",
        "comparator_observed": "{name}: statistics",
        "target_path": "Target T1: +{growth:.0%} in {year} over {base}",
        "disposable_marker": "Disposable income (mean)",
        "gain_range": "Median and 10–90% range",
        "probability_bar": "{pkg}",
        "no_bar": "no data",
        "comparators": {"zhongwei_rural": "Zhongwei rural residents",
                        "zhongwei_urban": "Zhongwei urban residents",
                        "ningxia_rural": "Ningxia rural residents",
                        "ningxia_urban": "Ningxia urban residents",
                        "china_rural": "China rural residents",
                        "china_urban": "China urban residents",
                        "china_poverty_area_rural": "China, rural, poverty-alleviated areas"},
        "components": {"wages": "Wages", "operating": "Net operating income",
                       "property": "Net property income", "transfers": "Net transfers",
                       "disposable": "Disposable income"},
        "source_sim": "Source: sim model ensemble, {n} replications per package; shading shows "
                      "quantile ranges across replications.",
        "source_comparators": "Comparators: statistics and forecasts (sim/data/income_series.csv, "
                              "sim.forecast).",
        "source_target": "Target: parameter {param} ({growth:.0%}) applied to the first package's "
                         "{base} median.",
        "source_targets": "Source: sim model ensemble and comparator forecasts (sim targets); "
                          "error bars are ±{z} Monte Carlo standard errors.",
        "source_components": "Source: sim model ensemble, {n} replications per package; each "
                             "component is its mean across replications, so they add up to the mean "
                             "disposable income (diamond).",
        "source_cost": "Source: sim model ensembles; gain = {year} per-capita disposable income "
                       "minus the baseline's; error bars span the 10–90% range.",
        "note": "Note: ",
        "note_sep": "; ",
        "source_sep": " ",
        "note_end": ".",
        "wrap_ticks": 34,
        "missing_years": "'{pkg}' has no data for {years}",
        "missing_package": "'{pkg}' has no data",
        "no_packages": "no package has data",
        "missing_indicator": "'{pkg}' has no data on '{what}'",
        "short_years": "'{pkg}' has only some replications in {years} ({n} of {total})",
        "missing_comparator": "no forecast for comparator '{name}'",
        "missing_target": "'{pkg}' lacks target {target}",
        "missing_base": "the first package has no {year} data: target T1 not drawn",
        "missing_values": "'{pkg}' has incomplete data ({what}): not drawn",
        "year_list_sep": ", ",
    },
}

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Label:
    """A package's name in Chinese and English (hashable, so it can key the dicts of runs)."""

    zh: str
    en: str

    def __str__(self):
        return self.en


@dataclass
class Ensemble:
    """The tables of one ensemble directory (see ``load_ensemble``)."""

    label: Label
    income: pd.DataFrame
    households: pd.DataFrame
    fiscal: pd.DataFrame
    targets: pd.DataFrame | None
    record: dict


def load_ensemble(directory):
    """Read an ensemble directory written by ``sim run ... --replications R``.

    Parameters
    ----------
    directory : str or Path
        Holds ``income_yearly.csv``, ``households_yearly.csv``, ``fiscal_yearly.csv``,
        ``run.json`` and, once ``sim targets`` has run, ``targets.csv``.

    Returns
    -------
    Ensemble
        ``label`` from the scenario's zh/en label in ``run.json``; ``targets`` is None when
        ``targets.csv`` is absent.
    """
    directory = Path(directory)
    record = json.loads((directory / "run.json").read_text(encoding="utf-8"))
    scenario = record.get("scenario", {})
    name = scenario.get("name", directory.name)
    text = scenario.get("label") or {}
    label = Label(text.get("zh", name), text.get("en", name))

    def read(stem):
        return pd.read_csv(directory / f"{stem}.csv", encoding=CSV_ENCODING)

    targets = read("targets") if (directory / "targets.csv").is_file() else None
    return Ensemble(label, read("income_yearly"), read("households_yearly"), read("fiscal_yearly"),
                    targets, record)


# --------------------------------------------------------------------------- helpers

def _labels(lang):
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {sorted(LABELS)}, got {lang!r}")
    return LABELS[lang]


def _name(key, lang):
    """A package's display name: the ``lang`` attribute of a Label, else the key as text."""
    return str(getattr(key, lang, key))


def _note(notes, text):
    """Record a data problem: shown in the figure and logged as a warning."""
    log.warning(text)
    notes.append(text)


def _years_text(years, L):
    return L["year_list_sep"].join(str(y) for y in years)


def _text_width(text):
    """Width in half-width columns: wide (CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_TOKENS = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f"
                     r"\uff00-\uffef]+|\s+")
_NO_BREAK_BEFORE = set("，。、；：？！）》」』”’,.;:)%")


def _wrap(text, columns):
    """Wrap mixed Chinese/Latin text to ``columns`` half-width columns (CJK breaks anywhere)."""
    lines = []
    for paragraph in text.split("\n"):
        line, width = "", 0
        for token in _TOKENS.findall(paragraph):
            w = _text_width(token)
            if width + w > columns and line.strip() and token not in _NO_BREAK_BEFORE \
                    and not token.isspace():
                lines.append(line.rstrip())
                line, width = "", 0
            if line or not token.isspace():
                line, width = line + token, width + w
        lines.append(line.rstrip())
    return "\n".join(lines)


def _wrap_balanced(text, columns):
    """Wrap into as few lines as ``_wrap`` would, but of even length (no one-word last line)."""
    lines = _wrap(text, columns).count("\n") + 1
    for width in range(math.ceil(_text_width(text) / lines), columns):
        wrapped = _wrap(text, width)
        if wrapped.count("\n") + 1 <= lines:
            return wrapped
    return _wrap(text, columns)


def _columns(fig, size):
    """How many half-width columns of text at ``size`` points fit across ``fig``."""
    return int(fig.get_figwidth() * 72 * 0.96 / (size * LATIN_ADVANCE))


def _figure(nrows=1, ncols=1, height=FIG_HEIGHT, sharey=False):
    """A constrained-layout figure: a grid of axes above a hidden strip that holds the legend.

    The legend hangs below the strip, so the layout engine makes room for it under the axes'
    tick and axis labels, and ``supxlabel`` (the footer) goes below the legend.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray of Axes, shape (nrows, ncols)
    holder : Axes
        The hidden strip; ``_finish`` puts the legend in it.
    """
    fig = Figure(figsize=(FIG_WIDTH, height), layout="constrained")
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1] * nrows + [LEGEND_STRIP])
    axes = np.empty((nrows, ncols), dtype=object)
    for r in range(nrows):
        for c in range(ncols):
            share = axes[0, 0] if sharey and (r or c) else None
            axes[r, c] = fig.add_subplot(grid[r, c], sharey=share)
            _style_axes(axes[r, c])
    holder = fig.add_subplot(grid[nrows, :])
    holder.set_axis_off()
    return fig, axes, holder


def _style_axes(ax):
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(True, color=GRID_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _year_axis(ax, years, L):
    ax.set_xticks(list(years))
    ax.set_xticklabels([str(y) for y in years])
    ax.set_xlim(years[0] - 0.35, years[-1] + 0.35)
    ax.set_xlabel(L["year"], fontsize=LABEL_SIZE)


def _yuan_axis(ax, label):
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _ylabel(ax, label)


def _ylabel(ax, label):
    """A y-axis label wrapped to fit along the axes (a long English unit would overflow)."""
    fig = ax.get_figure(root=True)
    height = fig.get_figheight() * ax.get_position().height * YLABEL_FILL
    columns = int(height * 72 / (LABEL_SIZE * LATIN_ADVANCE))
    ax.set_ylabel(_wrap_balanced(label, columns), fontsize=LABEL_SIZE)


def _finish(fig, holder, title, sources, notes, L, legend=None, ncol=2):
    """Title, legend below the plot, and the source line with any data notes at the bottom."""
    fig.suptitle(_wrap_balanced(title, _columns(fig, TITLE_SIZE)), x=0.01, ha="left",
                 fontsize=TITLE_SIZE)
    if legend:
        handles, labels = zip(*legend)
        width = _columns(fig, LEGEND_SIZE) // ncol - int(LEGEND_HANDLE_EM / LATIN_ADVANCE)
        labels = [_wrap_balanced(label, width) for label in labels]
        holder.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=ncol,
                      fontsize=LEGEND_SIZE, frameon=False, handlelength=2.4)
    footer = L["source_sep"].join(s for s in sources if s)
    if notes:  # first, and the footer in red, so that a reader cannot miss them
        footer = L["note"] + L["note_sep"].join(notes) + L["note_end"] + "\n" + footer
    fig.supxlabel(_wrap(footer, _columns(fig, NOTE_SIZE)), x=0.01, ha="left",
                  multialignment="left", fontsize=NOTE_SIZE,
                  color=WARNING_COLOUR if notes else NOTE_COLOUR)
    return fig


def _colour(i):
    return PACKAGE_COLOURS[i % len(PACKAGE_COLOURS)]


def _n_text(counts):
    counts = sorted(set(counts))
    if not counts:
        return "0"
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def _quantile_table(df, value, years, pkg, notes, L):
    """Quantiles of ``value`` across replications per year, reindexed on all ``years``.

    Missing years (rows of NaN, drawn as gaps) and years with fewer replications than the
    package has are noted.
    """
    grouped = df.groupby("year")[value]
    q = grouped.quantile(list(QUANTILES.values())).unstack()
    q.columns = list(QUANTILES)
    q["replications"] = grouped.count()
    missing = [y for y in years if y not in q.index]
    if missing:
        _note(notes, L["missing_years"].format(pkg=pkg, years=_years_text(missing, L)))
    total = df["replication"].nunique()
    short = q.index[q["replications"] < total].tolist()
    if short:
        n = _n_text(q.loc[short, "replications"].astype(int))
        _note(notes, L["short_years"].format(pkg=pkg, years=_years_text(short, L), n=n,
                                             total=total))
    q = q.reindex(sorted(set(years) | set(q.index)))
    q["replications"] = q["replications"].astype("Int64")  # 0 rows of a missing year: <NA>
    q.index.name = "year"
    return q


def _select(df, notes, pkg, L, what, **equal):
    """Rows of ``df`` where each column equals its value; a note if there are none."""
    if df is None or df.empty:
        _note(notes, L["missing_package"].format(pkg=pkg))
        return None
    mask = np.ones(len(df), bool)
    for column, value in equal.items():
        mask &= (df[column] == value).to_numpy()
    if not mask.any():
        _note(notes, L["missing_indicator"].format(pkg=pkg, what=what))
        return None
    return df[mask]


def _draw_bands(ax, q, colour, scale=1.0):
    """Median line and quantile bands; a year between gaps gets its bands as vertical bars."""
    present = q["median"].notna().to_numpy()
    before, after = np.r_[False, present[:-1]], np.r_[present[1:], False]
    alone = q.index[present & ~before & ~after]
    for band, (lo, hi) in BANDS.items():
        ax.fill_between(q.index, q[lo] * scale, q[hi] * scale, color=colour,
                        alpha=BAND_ALPHA[band], linewidth=0)
        ax.vlines(alone, q.loc[alone, lo] * scale, q.loc[alone, hi] * scale, color=colour,
                  alpha=BAND_ALPHA[band] * 2, linewidth=ISOLATED_BAND_WIDTH[band])
    return ax.plot(q.index, q["median"] * scale, color=colour, linewidth=2, marker="o",
                   markersize=4)[0]


def _band_legend(L):
    return [(Patch(color="grey", alpha=BAND_ALPHA["inner"] + BAND_ALPHA["outer"]),
             L["band_inner"]),
            (Patch(color="grey", alpha=BAND_ALPHA["outer"]), L["band_outer"])]


# --------------------------------------------------------------------------- fan chart

def fan_chart(runs, comparators=None, lang="zh", comparator_keys=COMPARATOR_KEYS,
              target_growth=None):
    """Fan chart of migrants' per-capita disposable income, per package.

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
    L, notes = _labels(lang), []
    fig, axes, holder = _figure()
    ax = axes[0, 0]
    legend, frames, counts, first = [], [], [], None
    for i, (key, df) in enumerate(runs.items()):
        pkg = _name(key, lang)
        sel = _select(df, notes, pkg, L, L["components"][TOTAL], group=ALL_MIGRANTS[0],
                      subgroup=ALL_MIGRANTS[1], component=TOTAL)
        if sel is None:
            continue
        q = _quantile_table(sel, "yuan_per_person", STUDY_YEARS, pkg, notes, L)
        line = _draw_bands(ax, q, _colour(i))
        legend.append((line, L["median"].format(pkg=pkg)))
        frames.append(q.reset_index().assign(series=str(key), label=pkg, kind="simulated"))
        counts.append(sel["replication"].nunique())
        if i == 0:
            first = q
    if not runs:
        _note(notes, L["no_packages"])
    growth = _t1_growth(target_growth)
    legend += _band_legend(L)
    legend += _draw_target(ax, first, growth, notes, L, frames)
    if comparators is not None:
        legend += _draw_comparators(ax, comparators, comparator_keys, notes, L, frames)
    _year_axis(ax, STUDY_YEARS, L)
    _yuan_axis(ax, L["income_axis"])
    sources = [L["source_sim"].format(n=_n_text(counts)),
               L["source_comparators"] if comparators is not None else "",
               L["source_target"].format(param=T1_PARAMETER, growth=growth, base=T1_BASE_YEAR)
               if first is not None else ""]
    title = L["fan_title"].format(first=STUDY_YEARS[0], last=STUDY_YEARS[-1])
    _finish(fig, holder, title, sources, notes, L, legend)
    return fig, _tidy_frame(frames)


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
        _note(notes, L["missing_base"].format(year=T1_BASE_YEAR))
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
            _note(notes, L["missing_comparator"].format(name=name))
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


def _tidy_frame(frames, first=("series", "label", "kind")):
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=list(first))
    data = pd.concat(frames, ignore_index=True)
    return data[list(first) + [c for c in data.columns if c not in first]]


# --------------------------------------------------------------------------- targets

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
    L, notes = _labels(lang), []
    order = _target_order(targets, lang)
    n_bars = len(order) * max(1, len(targets))
    fig, axes, holder = _figure(height=max(FIG_HEIGHT, TARGET_BAR_INCHES * n_bars
                                           + TARGET_EXTRA_INCHES))
    ax = axes[0, 0]
    height = TARGET_GROUP_HEIGHT / max(1, len(targets))
    legend, rows = [], []
    if not targets:
        _note(notes, L["no_packages"])
    for i, (key, df) in enumerate(targets.items()):
        pkg = _name(key, lang)
        if df is None or df.empty:
            _note(notes, L["missing_package"].format(pkg=pkg))
        offset = (i - (len(targets) - 1) / 2) * height
        _target_bars(ax, df, order, offset, height, _colour(i), pkg, notes, L, rows)
        legend.append((Patch(color=_colour(i)), L["probability_bar"].format(pkg=pkg)))
    _target_axes(ax, order, L)
    source = L["source_targets"].format(z=MC_Z)
    _finish(fig, holder, L["target_title"], [source], notes, L, legend)
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
                _note(notes, L["missing_target"].format(pkg=pkg, target=target))
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
    labels = [_wrap_balanced(f"{t} {label}", L["wrap_ticks"]) for t, label in order.items()]
    ax.set_yticklabels(labels, fontsize=TICK_SIZE)
    ax.invert_yaxis()
    ax.set_xlim(0, PERCENT * PROBABILITY_XMAX)
    ax.set_xticks(np.linspace(0, PERCENT, 6))
    ax.set_xlabel(L["probability_axis"], fontsize=LABEL_SIZE)
    ax.grid(False, axis="y")


# --------------------------------------------------------------------------- components

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
    L, notes = _labels(lang), []
    medians, counts = {}, []
    for key, df in runs.items():
        pkg = _name(key, lang)
        table = _component_medians(df, pkg, STUDY_YEARS if year is None else (year,), notes, L)
        if table is not None:
            medians[pkg] = table
            counts.append(df["replication"].nunique())
    if not runs:
        _note(notes, L["no_packages"])
    if year is None:
        fig, holder = _components_by_year(medians, L)
        title = L["component_title"]
    else:
        fig, holder = _components_by_package(medians, year, L)
        title = L["component_year_title"].format(year=year)
    legend = [(Patch(color=COMPONENT_COLOURS[c]), L["components"][c]) for c in COMPONENTS]
    legend.append((Line2D([], [], marker="D", color="black", linestyle="none"),
                   L["disposable_marker"]))
    source = L["source_components"].format(n=_n_text(counts))
    _finish(fig, holder, title, [source], notes, L, legend, ncol=3)
    rows = [m.reset_index().melt(id_vars="year", var_name="component", value_name="mean")
            .assign(package=p) for p, m in medians.items()]
    data = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["year", "component", "mean", "package"])
    return fig, data[["package", "year", "component", "mean"]]


def _component_medians(df, pkg, years, notes, L):
    """Year x component table of means across replications (means add up); missing years as NaN rows."""
    sel = _select(df, notes, pkg, L, L["components"][TOTAL], group=ALL_MIGRANTS[0],
                  subgroup=ALL_MIGRANTS[1])
    if sel is None:
        return None
    sel = sel[sel["component"].isin(COMPONENTS + (TOTAL,))]
    table = sel.groupby(["year", "component"])["yuan_per_person"].mean().unstack()
    missing = [y for y in years if y not in table.index]
    if missing:
        _note(notes, L["missing_years"].format(pkg=pkg, years=_years_text(missing, L)))
    absent = [L["components"][c] for c in COMPONENTS + (TOTAL,) if c not in table.columns]
    if absent:
        _note(notes, L["missing_indicator"].format(pkg=pkg, what=L["year_list_sep"].join(absent)))
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
    fig, axes, holder = _figure(nrows, ncols, height=PANEL_HEIGHT * nrows + PANEL_EXTRA,
                                sharey=True)
    for ax, (pkg, table) in zip(axes.flat, medians.items()):
        _stack(ax, np.array(table.index), table, 0.7)
        ax.set_title(_wrap_balanced(pkg, _columns(fig, LABEL_SIZE) // ncols), fontsize=LABEL_SIZE)
        _year_axis(ax, STUDY_YEARS, L)
    for ax in axes.flat[len(medians):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        _yuan_axis(ax, L["component_axis"])
    return fig, holder


def _components_by_package(medians, year, L):
    fig, axes, holder = _figure()
    ax = axes[0, 0]
    names = list(medians)
    table = pd.concat([m.loc[[year]] for m in medians.values()], ignore_index=True) if names \
        else pd.DataFrame(columns=list(COMPONENTS + (TOTAL,)))
    xs = np.arange(len(names))
    _stack(ax, xs, table, 0.6)
    ax.set_xticks(xs)
    width = _columns(fig, TICK_SIZE) // max(1, len(names))
    ax.set_xticklabels([_wrap_balanced(p, width) for p in names], fontsize=TICK_SIZE)
    _yuan_axis(ax, L["component_axis"])
    return fig, holder


# --------------------------------------------------------------------------- below the line

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
    L, notes = _labels(lang), []
    fig, axes, holder = _figure()
    ax = axes[0, 0]
    legend, frames, counts = [], [], []
    for i, (key, df) in enumerate(households.items()):
        pkg = _name(key, lang)
        sel = _select(df, notes, pkg, L, BELOW_LINE, indicator=BELOW_LINE)
        if sel is None:
            continue
        q = _quantile_table(sel, "value", STUDY_YEARS, pkg, notes, L)
        line = _draw_bands(ax, q, _colour(i), scale=PERCENT)
        legend.append((line, L["median"].format(pkg=pkg)))
        frames.append(q.reset_index().assign(series=str(key), label=pkg, kind="simulated"))
        counts.append(sel["replication"].nunique())
    if not households:
        _note(notes, L["no_packages"])
    legend += _band_legend(L)
    _year_axis(ax, STUDY_YEARS, L)
    _ylabel(ax, L["share_axis"])
    ax.set_ylim(bottom=0)
    source = L["source_sim"].format(n=_n_text(counts))
    _finish(fig, holder, L["below_title"], [source], notes, L, legend)
    return fig, _tidy_frame(frames)


# --------------------------------------------------------------------------- cost and effect

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
        (``extra_cost_axis_unit``).

    Raises
    ------
    ValueError
        If a column of the contract is missing.
    """
    L, notes = _labels(lang), []
    year, gain = _gain_columns(comparison)
    unit, scale = L["cost_unit"]
    fig, axes, holder = _figure()
    ax = axes[0, 0]
    data = comparison.assign(label=comparison[f"label_{lang}"],
                             extra_cost_axis_unit=comparison["extra_cost_yuan"] / scale)
    needed = ["extra_cost_yuan", gain["median"], gain["p10"], gain["p90"]]
    bad = data[needed].isna().any(axis=1)
    for row in data[bad].itertuples():
        what = ", ".join(c for c in needed if pd.isna(getattr(row, c)))
        _note(notes, L["missing_values"].format(pkg=row.label, what=what))
    if data.empty:
        _note(notes, L["no_packages"])
    _draw_cost_points(ax, data[~bad], gain)
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xlabel(L["cost_axis"].format(unit=unit, first=STUDY_YEARS[0], last=STUDY_YEARS[-1]),
                  fontsize=LABEL_SIZE)
    _yuan_axis(ax, L["gain_axis"].format(year=year))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    legend = [(Line2D([], [], color=NOTE_COLOUR, marker="o"), L["gain_range"])]
    _finish(fig, holder, L["cost_title"].format(year=year), [L["source_cost"].format(year=year)],
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


def _draw_cost_points(ax, data, gain):
    for i, row in enumerate(data.itertuples(index=False)):
        r = row._asdict()
        x, y = r["extra_cost_axis_unit"], r[gain["median"]]
        ax.errorbar([x], [y], yerr=[[y - r[gain["p10"]]], [r[gain["p90"]] - y]], fmt="o",
                    color=_colour(i), markersize=6, capsize=3, elinewidth=1.2)
        ax.annotate(_wrap(r["label"], 28), (x, y), xytext=(7, 4), textcoords="offset points",
                    fontsize=LEGEND_SIZE, color=_colour(i))
    if len(data):
        costs = data["extra_cost_axis_unit"]
        pad = 1 + COST_X_MARGIN
        ax.set_xlim(min(0, costs.min() * pad), max(0, costs.max()) * pad)


# --------------------------------------------------------------------------- saving

def save(fig, data, stem, overwrite=False):
    """Write ``stem.png`` (300 dpi), ``stem.svg`` and ``stem.csv`` (the data, UTF-8 with BOM).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    data : pandas.DataFrame
        The data behind the chart.
    stem : str or Path
        Path without extension; parent directories are created.
    overwrite : bool
        If False (default) and any of the three files exists, nothing is written.

    Returns
    -------
    tuple of pathlib.Path
        The PNG, SVG and CSV paths.

    Raises
    ------
    FileExistsError
        If a file exists and ``overwrite`` is False.
    """
    stem = Path(stem)
    paths = tuple(stem.with_name(f"{stem.name}.{ext}") for ext in ("png", "svg", "csv"))
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{', '.join(existing)} exist(s); pass overwrite=True to replace")
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(paths[0], dpi=PNG_DPI, metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None})
    data.to_csv(paths[2], index=False, encoding=CSV_ENCODING, float_format=FLOAT_FORMAT,
                lineterminator="\n")
    return paths
