"""The charts: one module per chart over a shared style, and the registry the report draws.

Every chart is drawn in Chinese or English (``lang`` "zh" or "en" selects every piece of text)
from tables already in memory, and returns ``(figure, data)``: a
:class:`matplotlib.figure.Figure` (made without pyplot) and the DataFrame drawn; ``save``
writes both as PNG, SVG and CSV. Nothing is dropped silently: a package without data, or
missing years, gets a note printed in the figure and a logged warning. Packages are named by
the keys of the dicts passed in: a ``Label`` (Chinese and English name, as ``load_ensemble``
gives) or a plain string used in both languages.

A chart module (``sim/charts/fan.py`` is one) exposes

``NAME``
    the file stem of the saved chart (``fan`` -> ``fan_zh.png``, ``fan_en.svg`` ...);
``TEXT``
    its own labels, ``{"zh": {...}, "en": {...}}``, over the shared ``labels.LABELS``;
``draw(inputs, lang)``
    the chart of a comparison (a ``ChartInputs``): ``(figure, data)``, or None when the inputs
    lack what it needs (the chart is then left out).

``CHARTS`` lists the modules in the order the report shows them (``sensitivity`` and
``discovery`` draw only when their tables are in the inputs, as ``sim sensitivity`` and
``sim discover`` give them); ``render_all`` draws and saves
each in both languages. Adding a chart means adding its module and naming it in ``CHARTS``.

Examples
--------
>>> from sim import charts, forecast                                    # doctest: +SKIP
>>> base = charts.load_ensemble("results/baseline-seed0-h50000-r200")   # doctest: +SKIP
>>> fig, data = charts.fan_chart({base.label: base.income}, forecast.fit_all(), lang="zh")  # doctest: +SKIP
>>> charts.save(fig, data, "results/charts/fan_zh")                     # doctest: +SKIP
"""
from __future__ import annotations

import importlib
from pathlib import Path

from .below_line import below_line_chart
from .components import component_chart
from .cost_effect import cost_effect_chart
from .data import (COMPONENTS, STUDY_YEARS, TOTAL, ChartInputs, Ensemble, Label, load_comparison,
                   load_ensemble)
from .fan import T1_BASE_YEAR, T1_PARAMETER, T1_YEAR, fan_chart
from .style import CJK_FAMILY, CJK_FONT_PATH, FIG_WIDTH, LATIN_FAMILY, PNG_DPI, save
from .targets import target_chart

__all__ = ["CHARTS", "LANGS", "registered", "render_all", "ChartInputs", "Ensemble", "Label",
           "load_comparison", "load_ensemble", "fan_chart", "target_chart", "component_chart",
           "below_line_chart", "cost_effect_chart", "save", "CJK_FAMILY", "CJK_FONT_PATH",
           "LATIN_FAMILY", "FIG_WIDTH", "PNG_DPI", "STUDY_YEARS", "COMPONENTS", "TOTAL",
           "T1_PARAMETER", "T1_BASE_YEAR", "T1_YEAR"]

LANGS = ("zh", "en")
CHARTS = [
    "sim.charts.fan",
    "sim.charts.targets",
    "sim.charts.components",
    "sim.charts.below_line",
    "sim.charts.cost_effect",
    "sim.charts.sensitivity",
    "sim.charts.discovery",
]


def registered(names=None):
    """The chart modules named in ``names`` (default ``CHARTS``), imported, in order.

    Raises
    ------
    TypeError
        If a module lacks ``NAME`` or ``draw``, naming the module.
    """
    modules = [importlib.import_module(n) for n in (CHARTS if names is None else names)]
    for m in modules:
        missing = [a for a in ("NAME", "draw") if not hasattr(m, a)]
        if missing:
            raise TypeError(f"chart module {m.__name__} lacks {', '.join(missing)} "
                            "(see sim/charts/__init__.py)")
    return modules


def render_all(inputs, directory, langs=LANGS, overwrite=False, names=None):
    """Draw every registered chart in each language and save it under ``directory``.

    Parameters
    ----------
    inputs : ChartInputs
    directory : str or Path
        Receives ``NAME_LANG.png``, ``.svg`` and ``.csv`` per chart and language.
    langs : sequence of {"zh", "en"}
    overwrite : bool
        Passed to ``save``.
    names : list of str, optional
        Dotted module names; default ``CHARTS``.

    Returns
    -------
    dict
        ``{NAME: {lang: png_path}}`` in registry order, without the charts whose ``draw``
        returned None.
    """
    directory = Path(directory)
    drawn = {}
    for module in registered(names):
        for lang in langs:
            result = module.draw(inputs, lang)
            if result is None:
                continue
            png, _, _ = save(*result, directory / f"{module.NAME}_{lang}", overwrite=overwrite)
            drawn.setdefault(module.NAME, {})[lang] = png
    return drawn
