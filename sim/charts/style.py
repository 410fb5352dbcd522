"""The charts' style: CJK font, bilingual labels, sizes, colours, text wrapping, figures, saving.

Every chart module draws on a figure from ``new_figure`` and ends with ``finish`` (title,
legend below the plot, source line and any data notes at the bottom), so all charts share one
look; ``save`` writes a chart as PNG (300 dpi) and SVG with the data behind it as CSV.
Figures are made without pyplot, so there is no global figure state.
"""
from __future__ import annotations

import io
import logging
import math
import os
import re
import unicodedata
from importlib import resources
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .. import storage
from ..runner import CSV_ENCODING, FLOAT_FORMAT
from .labels import LABELS

log = logging.getLogger(__name__)

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
    "svg.hashsalt": "sim.plots",  # kept from the old module name: same SVG files
    # PDF (not written by save, but by anyone calling savefig): embed subsetted TrueType/CFF
    # fonts (42) rather than Type 3 outlines, so text stays searchable and publishers accept
    # it; with subsetting a CJK PDF stays small (a test figure: 20 kB against 19 kB for Type 3).
    "pdf.fonttype": 42,
})


# --------------------------------------------------------------------------- style

FIG_WIDTH = 7.0            # inches: a full text width in print (178 mm)
FIG_HEIGHT = 5.6           # inches, single-panel charts
LEGEND_STRIP = 1e-3        # height of the legend's strip relative to a row of axes
PNG_DPI = 300
PERCENT = 100              # shares (/1) are drawn in percent
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
PACKAGE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")  # a second cue besides colour
# Money in one unit everywhere (charts, report tables): million yuan, 百万元. The packages'
# extra costs are tens to hundreds of millions, so the numbers stay short in both languages.
COST_SCALE = 1e6           # yuan per cost unit
COST_UNIT = {"zh": "百万元", "en": "million yuan"}


# --------------------------------------------------------------------------- labels and notes

def labels_for(lang, own=None):
    """The labels in ``lang``: the shared ones (``labels.LABELS``) updated with a chart's own.

    Parameters
    ----------
    lang : {"zh", "en"}
    own : dict, optional
        A chart module's ``TEXT``: ``{"zh": {...}, "en": {...}}``.
    """
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {sorted(LABELS)}, got {lang!r}")
    return {**LABELS[lang], **(own or {}).get(lang, {})}


def display_name(key, lang):
    """A package's display name: the ``lang`` attribute of a Label, else the key as text."""
    return str(getattr(key, lang, key))


def note(notes, text):
    """Record a data problem: shown in the figure and logged as a warning."""
    log.warning(text)
    notes.append(text)


# --------------------------------------------------------------------------- text

def years_text(years, L):
    return L["year_list_sep"].join(str(y) for y in years)


def text_width(text):
    """Width in half-width columns: wide (CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


TOKENS = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f"
                     r"\uff00-\uffef]+|\s+")
NO_BREAK_BEFORE = set("，。、；：？！）》」』”’,.;:)%")


def wrap(text, columns):
    """Wrap mixed Chinese/Latin text to ``columns`` half-width columns (CJK breaks anywhere)."""
    lines = []
    for paragraph in text.split("\n"):
        line, width = "", 0
        for token in TOKENS.findall(paragraph):
            w = text_width(token)
            if width + w > columns and line.strip() and token not in NO_BREAK_BEFORE \
                    and not token.isspace():
                lines.append(line.rstrip())
                line, width = "", 0
            if line or not token.isspace():
                line, width = line + token, width + w
        lines.append(line.rstrip())
    return "\n".join(lines)


def wrap_balanced(text, columns):
    """Wrap into as few lines as ``wrap`` would, but of even length (no one-word last line)."""
    lines = wrap(text, columns).count("\n") + 1
    for width in range(math.ceil(text_width(text) / lines), columns):
        wrapped = wrap(text, width)
        if wrapped.count("\n") + 1 <= lines:
            return wrapped
    return wrap(text, columns)


# --------------------------------------------------------------------------- figures

def text_columns(fig, size):
    """How many half-width columns of text at ``size`` points fit across ``fig``."""
    return int(fig.get_figwidth() * 72 * 0.96 / (size * LATIN_ADVANCE))


def new_figure(nrows=1, ncols=1, height=FIG_HEIGHT, sharey=False):
    """A constrained-layout figure: a grid of axes above a hidden strip that holds the legend.

    The legend hangs below the strip, so the layout engine makes room for it under the axes'
    tick and axis labels, and ``supxlabel`` (the footer) goes below the legend.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray of Axes, shape (nrows, ncols)
    holder : Axes
        The hidden strip; ``finish`` puts the legend in it.
    """
    fig = Figure(figsize=(FIG_WIDTH, height), layout="constrained")
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1] * nrows + [LEGEND_STRIP])
    axes = np.empty((nrows, ncols), dtype=object)
    for r in range(nrows):
        for c in range(ncols):
            share = axes[0, 0] if sharey and (r or c) else None
            axes[r, c] = fig.add_subplot(grid[r, c], sharey=share)
            style_axes(axes[r, c])
    holder = fig.add_subplot(grid[nrows, :])
    holder.set_axis_off()
    return fig, axes, holder


def style_axes(ax):
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(True, color=GRID_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def year_axis(ax, years, L):
    ax.set_xticks(list(years))
    ax.set_xticklabels([str(y) for y in years])
    ax.set_xlim(years[0] - 0.35, years[-1] + 0.35)
    ax.set_xlabel(L["year"], fontsize=LABEL_SIZE)


def yuan_axis(ax, label):
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ylabel(ax, label)


def ylabel(ax, label):
    """A y-axis label wrapped to fit along the axes (a long English unit would overflow)."""
    fig = ax.get_figure(root=True)
    height = fig.get_figheight() * ax.get_position().height * YLABEL_FILL
    columns = int(height * 72 / (LABEL_SIZE * LATIN_ADVANCE))
    ax.set_ylabel(wrap_balanced(label, columns), fontsize=LABEL_SIZE)


def finish(fig, holder, title, sources, notes, L, legend=None, ncol=2):
    """Title, legend below the plot, and the source line with any data notes at the bottom."""
    fig.suptitle(wrap_balanced(title, text_columns(fig, TITLE_SIZE)), x=0.01, ha="left",
                 fontsize=TITLE_SIZE)
    if legend:
        handles, labels = zip(*legend)
        width = text_columns(fig, LEGEND_SIZE) // ncol - int(LEGEND_HANDLE_EM / LATIN_ADVANCE)
        labels = [wrap_balanced(label, width) for label in labels]
        holder.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=ncol,
                      fontsize=LEGEND_SIZE, frameon=False, handlelength=2.4)
    footer = L["source_sep"].join(s for s in sources if s)
    if notes:  # first, and the footer in red, so that a reader cannot miss them
        footer = L["note"] + L["note_sep"].join(notes) + L["note_end"] + "\n" + footer
    fig.supxlabel(wrap(footer, text_columns(fig, NOTE_SIZE)), x=0.01, ha="left",
                  multialignment="left", fontsize=NOTE_SIZE,
                  color=WARNING_COLOUR if notes else NOTE_COLOUR)
    return fig


def package_colour(i):
    """The colour of the ``i``-th package (the same package has the same colour in every chart)."""
    return PACKAGE_COLOURS[i % len(PACKAGE_COLOURS)]


def package_marker(i):
    """The marker of the ``i``-th package."""
    return PACKAGE_MARKERS[i % len(PACKAGE_MARKERS)]


def n_text(counts):
    counts = sorted(set(counts))
    if not counts:
        return "0"
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


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
    for path, options in zip(paths, ({"dpi": PNG_DPI, "metadata": {"Software": None}}, {"metadata": {"Date": None}})):
        buffer = io.BytesIO()  # rendered whole first, so a kill never leaves half an image
        fig.savefig(buffer, format=path.suffix[1:], **options)
        storage.atomic_write_bytes(path, buffer.getvalue())
    storage.write_csv(data, paths[2], index=False, encoding=CSV_ENCODING, float_format=FLOAT_FORMAT)
    return paths
