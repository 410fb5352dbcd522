"""Small inline SVG charts for the explorer page: the fan chart against the baseline, target bars.

Drawn as text (no matplotlib round trip) so that a slider move redraws in milliseconds; colours
are the project's chart colours (``sim.charts.style.PACKAGE_COLOURS``) and every label is in Chinese or
English. All text put into the SVG is escaped; the SVG takes the page's font (the embedded CJK
subset), so it names none.
"""
from __future__ import annotations

from html import escape

import numpy as np

from ..charts.fan import TARGET_COLOUR
from ..charts.style import PACKAGE_COLOURS

WIDTH, HEIGHT = 640, 300          # px, the SVG's own coordinate box (it scales with the page)
MARGIN = {"left": 70, "right": 20, "top": 30, "bottom": 40}
BAR_ROW = 26                      # px per target in the target chart
LABEL_WIDTH = 150                 # px for target names in the target chart
MC_Z = 1.96                       # error bars: +/- 1.96 Monte Carlo standard errors
BAND = (0.1, 0.9)                 # the fan's band: 10%-90% across replications
TICKS = 5

TEXT = {
    "zh": {"baseline": "基线", "band": "10%–90%区间", "axis": "人均可支配收入（元/人·年）",
           "fan": "移民人均可支配收入：中位数与10%–90%区间", "p": "达成概率（%），误差线为±1.96倍蒙特卡罗误差",
           "T1&T2": "T1且T2", "constraint": "约束"},
    "en": {"baseline": "Baseline", "band": "10%–90% band", "axis": "Per-capita disposable income (yuan/person/year)",
           "fan": "Migrant per-capita disposable income: median and 10%–90% band",
           "p": "Probability (%), error bars ±1.96 Monte Carlo errors", "T1&T2": "T1 and T2", "constraint": "constraint"},
}


def _svg(height, body, title):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'font-size="12"><title>{escape(title)}</title>{body}</svg>')


def _quantiles(income):
    years = [int(y) for y in income.columns]
    q = np.nanquantile(income.to_numpy(float), [BAND[0], 0.5, BAND[1]], axis=0)
    return years, q


def fan(base_income, income, label, lang):
    """Median and 10-90% band per year of the package and the baseline (replication x year tables)."""
    T = TEXT[lang]
    series = [(T["baseline"], base_income, "#777777"), (label.get(lang, ""), income, PACKAGE_COLOURS[0])]
    data = [(name, *_quantiles(df), colour) for name, df, colour in series]
    years = data[0][1]
    lo = min(float(np.nanmin(d[2])) for d in data)
    hi = max(float(np.nanmax(d[2])) for d in data)
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    x0, x1 = MARGIN["left"], WIDTH - MARGIN["right"]
    y0, y1 = HEIGHT - MARGIN["bottom"], MARGIN["top"]
    fx = lambda yr: x0 + (yr - years[0]) / max(1, years[-1] - years[0]) * (x1 - x0)  # noqa: E731
    fy = lambda v: y0 - (v - lo) / (hi - lo) * (y0 - y1)  # noqa: E731
    parts = []
    for k in range(TICKS + 1):
        v = lo + k * (hi - lo) / TICKS
        parts.append(f'<line x1="{x0}" x2="{x1}" y1="{fy(v):.1f}" y2="{fy(v):.1f}" stroke="#ddd"/>'
                     f'<text x="{x0 - 6}" y="{fy(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
    for yr in years:
        parts.append(f'<text x="{fx(yr):.1f}" y="{y0 + 18}" text-anchor="middle">{yr}</text>')
    for i, (name, _, q, colour) in enumerate(data):
        upper = " ".join(f"{fx(y):.1f},{fy(v):.1f}" for y, v in zip(years, q[2]))
        lower = " ".join(f"{fx(y):.1f},{fy(v):.1f}" for y, v in zip(reversed(years), q[0][::-1]))
        median = " ".join(f"{fx(y):.1f},{fy(v):.1f}" for y, v in zip(years, q[1]))
        parts.append(f'<polygon points="{upper} {lower}" fill="{colour}" fill-opacity="0.18"/>'
                     f'<polyline points="{median}" fill="none" stroke="{colour}" stroke-width="2.2"/>')
        parts.append(f'<rect x="{x0 + 10}" y="{y1 + 4 + 18 * i}" width="14" height="4" fill="{colour}"/>'
                     f'<text x="{x0 + 30}" y="{y1 + 10 + 18 * i}">{escape(name)}</text>')
    parts.append(f'<text x="14" y="{(y0 + y1) / 2:.0f}" transform="rotate(-90 14 {(y0 + y1) / 2:.0f})" '
                 f'text-anchor="middle">{escape(T["axis"])}</text>')
    parts.append(f'<text x="{x0}" y="16" font-weight="bold">{escape(T["fan"])}</text>')
    return _svg(HEIGHT, "".join(parts), T["fan"])


def targets(rows, constraints, replications, lang):
    """Horizontal bars: each target's probability (package) with its error, the baseline's as a tick."""
    T = TEXT[lang]
    height = MARGIN["top"] + BAR_ROW * len(rows) + MARGIN["bottom"]
    x0, x1 = LABEL_WIDTH, WIDTH - MARGIN["right"]
    fx = lambda p: x0 + p * (x1 - x0)  # noqa: E731
    parts = [f'<text x="4" y="16" font-weight="bold">{escape(T["p"])}</text>']
    for k in range(0, 101, 20):
        parts.append(f'<line x1="{fx(k / 100):.1f}" x2="{fx(k / 100):.1f}" y1="{MARGIN["top"]}" '
                     f'y2="{height - MARGIN["bottom"]}" stroke="#ddd"/><text x="{fx(k / 100):.1f}" '
                     f'y="{height - MARGIN["bottom"] + 16}" text-anchor="middle">{k}</text>')
    for i, r in enumerate(rows):
        y = MARGIN["top"] + i * BAR_ROW
        p, e = r["probability"], MC_Z * r["error"]
        name = T.get(r["target"], r["target"])
        parts.append(f'<text x="{x0 - 8}" y="{y + 17}" text-anchor="end">{escape(name)}</text>'
                     f'<rect class="bar" data-target="{escape(r["target"])}" x="{x0}" y="{y + 5}" '
                     f'width="{fx(p) - x0:.1f}" height="{BAR_ROW - 10}" fill="{PACKAGE_COLOURS[0]}"/>'
                     f'<line x1="{fx(max(0, p - e)):.1f}" x2="{fx(min(1, p + e)):.1f}" y1="{y + 13}" '
                     f'y2="{y + 13}" stroke="black"/>'
                     f'<text x="{min(fx(p) + 6, x1 - 30):.1f}" y="{y + 17}">{p:.0%}</text>')
        base = r.get("baseline")
        if base is not None and np.isfinite(base):
            parts.append(f'<line x1="{fx(base):.1f}" x2="{fx(base):.1f}" y1="{y + 2}" y2="{y + BAR_ROW - 2}" '
                         f'stroke="#777" stroke-width="3"/>')
        if r["target"] in constraints:
            c = fx(constraints[r["target"]])
            parts.append(f'<line x1="{c:.1f}" x2="{c:.1f}" y1="{y}" y2="{y + BAR_ROW}" stroke="{TARGET_COLOUR}" '
                         f'stroke-dasharray="4 3" stroke-width="2"><title>{escape(T["constraint"])}</title></line>')
    return _svg(height, "".join(parts), T["p"])
