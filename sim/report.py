"""The report: one self-contained HTML file from a comparison of packages, answering first.

It opens with the answer (per target, the baseline's and the best package's probability, read
from the results: ``sim.answer``), then the key table, the charts in Chinese and English
(embedded as PNG), the optional sections named in ``SECTIONS``, the assumptions and unverified
data the results lean on, and an appendix with every parameter's value, unit and source. Charts
and their data are also saved beside the report (PNG, SVG, CSV). Costs are in million yuan
everywhere, growth rates in percent; an absent value is shown as a dash.
"""
from __future__ import annotations

import base64
import html
import importlib
import io
import json
import math
import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

import pandas as pd

from . import charts, storage
from .answer import opening_html
from .charts.style import COST_SCALE
from .forecast import fit_all, load_series
from .parameters import ParameterTree
from .runner import CSV_ENCODING, free_name

LANGS = ("zh", "en")
TEXT = {
    "title": ("宁夏移民收入：各帮扶措施包能否实现2021-2025年目标",
              "Incomes of Ningxia's relocated households: can the 2021-2025 targets be reached?"),
    "question": ("本报告比较各措施包下中卫市移民人均可支配收入的模拟结果、目标实现概率与财政成本。"
                 "概率来自模型重复运行、参数不确定性和对比序列预测的不确定性。",
                 "This report compares, per intervention package, the simulated per-capita disposable income "
                 "of Zhongwei's relocated households, the probability of reaching each target and the fiscal "
                 "cost. Probabilities combine model replications, parameter uncertainty and the uncertainty "
                 "of the comparator forecasts."),
    "scale": ("每个措施包{r}次重复，随机种子{seed}，模拟{h}户。",
              "{r} replications per package, seed {seed}, {h} simulated households."),
    "table": ("关键结果", "Key results"),
    "charts": ("图表", "Charts"),
    "assumptions": ("结果所依赖的假设", "Assumptions the results lean on"),
    "data": ("未经核实或推算的数据", "Unverified and derived data"),
    "appendix": ("附录：全部参数", "Appendix: every parameter"),
    "packages": ("各措施包的参数调整", "What each package changes"),
    "caveats": ("注意", "Caveats"),
}
# The key table: targets first (so that T7 is never the column cut off), then cost and income.
KEY_COLUMNS = {
    **{f"T{k}_probability": (f"T{k}", f"T{k}") for k in range(1, 8)},
    "extra_cost_yuan": ("新增财政成本（百万元，2021-2025）", "Extra fiscal cost (million yuan, 2021-2025)"),
    "cost_per_yuan_gained_median": ("每增收1元的财政成本（元）", "Cost per yuan of income gained (yuan)"),
    "income_2022_median": ("2022年人均收入（中位数，元）", "Income 2022 (median, yuan)"),
    "growth_2022_median": ("2022年增长率（中位数）", "Growth 2022 (median)"),
    "income_2025_median": ("2025年人均收入（中位数，元）", "Income 2025 (median, yuan)"),
    "gain_2025_median": ("2025年较基线增收（元/人）", "Gain over baseline 2025 (yuan/person)"),
}
KEY_NOTE = ("T1-T7：达成该目标的概率，各目标见上方“答案”。",
            "T1-T7: probability of meeting the target; the answer above names each target.")
# Optional sections, in order: dotted names of functions ``section(directory) -> str | None``
# returning a bilingual <section> with an <h2>, or None when their results are absent.
SECTIONS: list[str] = ["sim.forecast.section.section", "sim.rests_on.section"]
MISSING = "—"  # shown for an absent value: never None, nan or inf


def _img(path, alt):
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def make_charts(compare_dir, ensembles, comparison, forecasts):
    """Draw every registered chart in both languages into ``compare_dir/charts``.

    Returns ``{name: {lang: png}}`` in the order of ``sim.charts.CHARTS``.
    """
    inputs = charts.ChartInputs(ensembles, comparison, forecasts)
    return charts.render_all(inputs, compare_dir / "charts", LANGS, overwrite=True)


def key_table(comparison):
    """The key table in both languages (HTML): it scrolls sideways, never cut, on a narrow screen."""
    head = "".join(f'<th scope="col">{html.escape(zh)}' + (f"<br>{html.escape(en)}" if en != zh else "")
                   + "</th>" for zh, en in KEY_COLUMNS.values())
    rows = []
    for r in comparison.itertuples():
        cells = "".join(f"<td>{_fmt(c, getattr(r, c))}</td>" for c in KEY_COLUMNS)
        rows.append(f'<tr><th scope="row">{html.escape(r.label_zh)}<br>{html.escape(r.label_en)}</th>{cells}</tr>')
    return (f'<div class="wide" id="key-table-scroll"><table id="key-table"><thead><tr>'
            f"<th>措施包 / Package</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            f'<p class="note">{html.escape(KEY_NOTE[0])} {html.escape(KEY_NOTE[1])}</p>')


def _fmt(column, v):
    """Shares as percentages, costs in million yuan, cost ratios with two decimals, yuan whole."""
    if v is None or pd.isna(v) or not math.isfinite(v):
        return MISSING
    if column.endswith("_probability") or column.startswith("growth"):
        return f"{v:.1%}"
    if column == "extra_cost_yuan":
        return f"{v / COST_SCALE:,.1f}"
    return f"{v:,.2f}" if column.startswith("cost_per") else f"{v:,.0f}"


def _growth_as_percent(row):
    """A parameter row with a growth rate (/1 or /year) shown as a percentage: 6.0%, not 0.06."""
    v = row.get("value")
    if "growth" in row["parameter"] and isinstance(v, (int, float)) and not isinstance(v, bool):
        return {**row, "value": f"{v:.1%}"}
    return row


def assumptions_table(tree):
    rows = [_growth_as_percent(r) for r in tree.table() if r["assumption"]]
    return _records_table(rows, ["parameter", "label_zh", "label_en", "value", "unit", "reference"])


def parameters_table(tree):
    rows = [_growth_as_percent(r) for r in tree.table()]
    return _records_table(rows, ["parameter", "date", "value", "unit", "label_zh", "label_en",
                                 "reference", "assumption"])


def data_table():
    """The income series not marked verified: yuan with separators, growth in %, gaps as dashes."""
    weak = load_series().query("status != 'verified'")
    rows = [{**r, "value_yuan": _fmt("value_yuan", r["value_yuan"]),
             "growth_pct": MISSING if pd.isna(r["growth_pct"]) else f"{r['growth_pct']:.1f}%"}
            for r in weak.to_dict("records")]
    return _records_table(rows, list(weak.columns))


def _cell(v):
    """A table cell's text: absent or non-finite values as a dash."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return MISSING
    return str(v)


def _records_table(rows, columns):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in columns)
                   + "</tr>" for r in rows)
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


CJK_SC_INDEX = 2  # Noto Sans CJK SC in the NotoSansCJK-Regular.ttc collection
# Screen: tables and charts scroll sideways inside their own box when the page is narrower than
# they are (a phone), so nothing is cut and chart text keeps a readable size: a 7-inch chart is
# never narrower than CHART_MIN_PX (its 8-point text then about 9.5 px). Print: A4 portrait.
CHART_MIN_PX = 600
STYLE = """/*FONT*/body{font-family:"ReportCJK","DejaVu Sans",sans-serif;margin:0 auto;padding:1em 1.5em;
max-width:1100px;line-height:1.5}h1{font-size:1.6em}h2{font-size:1.3em;margin-top:1.6em}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0}td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}
th{background:#f3f3f3}.wide{overflow-x:auto;max-width:100%}
#key-table th[scope=row],#key-table thead th:first-child{position:sticky;left:0;z-index:1;text-align:left;min-width:8em}
#key-table td{white-space:nowrap}.note,.info{color:#444;font-size:0.9em}#answer li{margin:0.3em 0}
figure{margin:1em 0;overflow-x:auto;max-width:100%}figure img{display:block;width:100%;min-width:MINpx;max-width:900px}
details{margin:1em 0}@media (max-width:600px){body{padding:0.5em 0.8em}table{font-size:12px}h1{font-size:1.3em}}
@media print{@page{size:A4;margin:14mm}body{max-width:none;padding:0;font-size:10pt}
.wide,figure{overflow:visible}figure img{min-width:0;max-width:100%}table{font-size:7pt}
tr,figure,li{break-inside:avoid}h2{break-after:avoid}#key-table th[scope=row]{position:static}}""".replace(
    "MIN", str(CHART_MIN_PX))
# After loading, the page records whether every image decoded (checked by the browser test);
# before printing, the appendix opens so that it is printed too.
CHECK_SCRIPT = """<script>window.addEventListener("load",function(){var ok=Array.prototype.every.call(
document.images,function(i){return i.complete&&i.naturalWidth>0});document.body.setAttribute(
"data-images",ok?"loaded":"broken");document.body.setAttribute("data-image-count",document.images.length);});
window.addEventListener("beforeprint",function(){document.querySelectorAll("details").forEach(function(d){d.open=true})});</script>"""


def packages_table(ensembles):
    """Every package's parameter overrides, from the ensembles' records."""
    rows = [{"package": f"{e.label.zh} / {e.label.en}", "parameter": path, "values": json.dumps(vals)}
            for e in ensembles for path, vals in e.record["scenario"]["overrides"].items()]
    return _records_table(rows, ["package", "parameter", "values"])


def optional_sections(directory, names=None):
    """The HTML of each section in ``names`` (default ``SECTIONS``) that has results here."""
    parts = []
    for dotted in SECTIONS if names is None else names:
        module, _, function = dotted.rpartition(".")
        fragment = getattr(importlib.import_module(module), function)(Path(directory))
        if fragment:
            parts.append(fragment)
    return "".join(parts)


def embedded_font(text):
    """A @font-face rule with the Chinese font cut down to the characters of ``text``.

    Browsers need a CJK font for the report's Chinese text and a fresh machine may have none;
    the subset of Noto Sans CJK SC (the charts' font, OFL) keeps the file self-contained and small.
    """
    font = TTCollection(charts.CJK_FONT_PATH).fonts[CJK_SC_INDEX]
    options = subset.Options()
    options.layout_features = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(set(re.sub(r"[\x00-\x7f]", "", text)))))
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'@font-face{{font-family:"ReportCJK";src:url(data:font/otf;base64,{data}) format("opentype")}}'


def render(comparison, drawn, tree, record, ensembles, directory):
    """The report's HTML text, with the Chinese font it uses embedded."""
    page = _page(comparison, drawn, tree, record, ensembles, Path(directory))
    return page.replace("/*FONT*/", embedded_font(re.sub(r'src="data:[^"]*"', "", page)), 1)


def _scale(record, ensembles):
    """Replications, seed and households, from the comparison's record or else its ensembles'."""
    first = ensembles[0].record if ensembles else {}
    values = {k: record.get(k) if record.get(k) is not None else first.get(k)
              for k in ("replications", "seed", "households")}
    text = {k: MISSING if v is None else f"{v:,}" for k, v in values.items()}
    return [t.format(r=text["replications"], seed=text["seed"], h=text["households"])
            for t in TEXT["scale"]]


def _page(comparison, drawn, tree, record, ensembles, directory):
    figures = "".join(f"<figure>{_img(drawn[name][lang], f'{name} ({lang})')}</figure>"
                      for name in drawn for lang in drawn[name])
    t = {k: f"{zh} / {en}" for k, (zh, en) in TEXT.items()}
    scale = _scale(record, ensembles)
    caveats = ("<ul><li>大部分宁夏收入数据标记为未核实；中卫基数由种子文件004的目标推算。"
               "Most Ningxia income data are unverified; Zhongwei's bases are derived from seed 004's targets.</li>"
               "<li>对比序列预测只基于8-9个年度值，区间按回测校准后仍很宽。"
               "Comparator forecasts rest on 8-9 yearly values; their intervals, calibrated on the backtest, are wide.</li>"
               "<li>许多行为参数是假设，集合运行按其不确定性抽样。"
               "Many behavioural parameters are assumptions; the ensemble draws them from their stated uncertainty.</li></ul>")
    replications = record.get("replications") or ensembles[0].record.get("replications")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(t['title'])}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(TEXT['title'][0])}<br>{html.escape(TEXT['title'][1])}</h1>
<p>{html.escape(TEXT['question'][0])}</p><p>{html.escape(TEXT['question'][1])}</p>
<p class="note" id="scale">{html.escape(scale[0])} {html.escape(scale[1])}</p>
{opening_html(ensembles, comparison, directory, replications)}
<h2>{html.escape(t['table'])}</h2>{key_table(comparison)}
<h2>{html.escape(t['charts'])}</h2>{figures}
{optional_sections(directory)}
<h2>{html.escape(t['caveats'])}</h2>{caveats}
<h2>{html.escape(t['packages'])}</h2>{packages_table(ensembles)}
<h2>{html.escape(t['assumptions'])}</h2>{assumptions_table(tree)}
<h2>{html.escape(t['data'])}</h2>{data_table()}
<details><summary><h2 style="display:inline">{html.escape(t['appendix'])}</h2></summary>
{parameters_table(tree)}
</details>{CHECK_SCRIPT}</body></html>"""


def build_report(compare_dir):
    """Write ``report.html`` (never over an existing one) for a comparison directory; returns its path."""
    compare_dir = Path(compare_dir)
    record = json.loads((compare_dir / "run.json").read_text(encoding="utf-8"))
    comparison = pd.read_csv(compare_dir / "comparison.csv", encoding=CSV_ENCODING)
    ensembles = [charts.load_ensemble(d) for d in record["ensembles"].values()]
    drawn = make_charts(compare_dir, ensembles, comparison, fit_all())
    target = free_name(compare_dir, "report", ".html")
    page = render(comparison, drawn, ParameterTree.load(), record, ensembles, compare_dir)
    return storage.atomic_write_text(target, page, overwrite=False)
