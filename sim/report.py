"""The report: one self-contained HTML file from a comparison of packages.

It gathers the key table, the charts in Chinese and English (embedded as PNG), the assumptions
and unverified data the results lean on, and an appendix with every parameter's value, unit and
source. Charts and their data are also saved beside the report (PNG, SVG, CSV).
"""
from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

import pandas as pd

from . import charts
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
    "table": ("关键结果", "Key results"),
    "charts": ("图表", "Charts"),
    "assumptions": ("结果所依赖的假设", "Assumptions the results lean on"),
    "data": ("未经核实或推算的数据", "Unverified and derived data"),
    "appendix": ("附录：全部参数", "Appendix: every parameter"),
    "packages": ("各措施包的参数调整", "What each package changes"),
    "caveats": ("注意", "Caveats"),
}
KEY_COLUMNS = {
    "income_2022_median": ("2022年人均收入（中位数，元）", "Income 2022 (median, yuan)"),
    "growth_2022_median": ("2022年增长率（中位数）", "Growth 2022 (median)"),
    "income_2025_median": ("2025年人均收入（中位数，元）", "Income 2025 (median, yuan)"),
    "gain_2025_median": ("2025年较基线增收（元/人）", "Gain over baseline 2025 (yuan/person)"),
    "extra_cost_yuan": ("较基线新增财政成本（元，2021-2025）", "Extra fiscal cost 2021-2025 (yuan)"),
    "cost_per_yuan_gained_median": ("每增收1元的财政成本（元）", "Cost per yuan of income gained"),
    **{f"T{k}_probability": (f"T{k}概率", f"T{k} probability") for k in range(1, 8)},
}


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
    """The key table in both languages (HTML)."""
    head = "".join(f"<th>{html.escape(zh)}<br>{html.escape(en)}</th>" for zh, en in KEY_COLUMNS.values())
    rows = []
    for r in comparison.itertuples():
        cells = "".join(f"<td>{_fmt(c, getattr(r, c))}</td>" for c in KEY_COLUMNS)
        rows.append(f"<tr><th>{html.escape(r.label_zh)}<br>{html.escape(r.label_en)}</th>{cells}</tr>")
    return (f'<div class="wide"><table id="key-table"><thead><tr><th>措施包 / Package</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _fmt(column, v):
    """Shares as percentages, cost ratios with two decimals, yuan as whole numbers."""
    if pd.isna(v):
        return "—"
    if column.endswith("_probability") or column.startswith("growth"):
        return f"{v:.1%}"
    return f"{v:,.2f}" if column.startswith("cost_per") else f"{v:,.0f}"


def assumptions_table(tree):
    rows = [r for r in tree.table() if r["assumption"]]
    return _records_table(rows, ["parameter", "label_zh", "label_en", "value", "unit", "reference"])


def data_table():
    df = load_series()
    weak = df[df["status"] != "verified"]
    return _records_table(weak.to_dict("records"), list(weak.columns))


def _records_table(rows, columns):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CJK_SC_INDEX = 2  # Noto Sans CJK SC in the NotoSansCJK-Regular.ttc collection
STYLE = """/*FONT*/body{font-family:"ReportCJK","DejaVu Sans",sans-serif;margin:2em;max-width:1100px}
table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}
th{background:#f3f3f3}img{max-width:100%;margin:0.5em 0}.wide{overflow-x:auto}figure{margin:1em 0}details{margin:1em 0}"""
# After loading, the page records whether every image decoded (checked by the browser test).
CHECK_SCRIPT = """<script>window.addEventListener("load",function(){var ok=Array.prototype.every.call(
document.images,function(i){return i.complete&&i.naturalWidth>0});document.body.setAttribute(
"data-images",ok?"loaded":"broken");document.body.setAttribute("data-image-count",document.images.length);});</script>"""


def packages_table(ensembles):
    """Every package's parameter overrides, from the ensembles' records."""
    rows = [{"package": f"{e.label.zh} / {e.label.en}", "parameter": path, "values": json.dumps(vals)}
            for e in ensembles for path, vals in e.record["scenario"]["overrides"].items()]
    return _records_table(rows, ["package", "parameter", "values"])


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


def render(comparison, drawn, tree, record, ensembles):
    """The report's HTML text, with the Chinese font it uses embedded."""
    page = _page(comparison, drawn, tree, record, ensembles)
    return page.replace("/*FONT*/", embedded_font(re.sub(r'src="data:[^"]*"', "", page)), 1)


def _page(comparison, drawn, tree, record, ensembles):
    figures = "".join(f"<figure>{_img(drawn[name][lang], name)}</figure>"
                      for name in drawn for lang in drawn[name])
    t = {k: f"{zh} / {en}" for k, (zh, en) in TEXT.items()}
    caveats = ("<ul><li>大部分宁夏收入数据标记为未核实；中卫基数由种子文件004的目标推算。"
               "Most Ningxia income data are unverified; Zhongwei's bases are derived from seed 004's targets.</li>"
               "<li>对比序列预测只基于8-9个年度值，区间按回测校准后仍很宽。"
               "Comparator forecasts rest on 8-9 yearly values; their intervals, calibrated on the backtest, are wide.</li>"
               "<li>许多行为参数是假设，集合运行按其不确定性抽样。"
               "Many behavioural parameters are assumptions; the ensemble draws them from their stated uncertainty.</li></ul>")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(t['title'])}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(TEXT['title'][0])}<br>{html.escape(TEXT['title'][1])}</h1>
<p>{html.escape(TEXT['question'][0])}</p><p>{html.escape(TEXT['question'][1])}</p>
<p>{record.get('replications')} replications, seed {record.get('seed')}, households {record.get('households')}</p>
<h2>{html.escape(t['table'])}</h2>{key_table(comparison)}
<h2>{html.escape(t['charts'])}</h2>{figures}
<h2>{html.escape(t['caveats'])}</h2>{caveats}
<h2>{html.escape(t['packages'])}</h2>{packages_table(ensembles)}
<h2>{html.escape(t['assumptions'])}</h2>{assumptions_table(tree)}
<h2>{html.escape(t['data'])}</h2>{data_table()}
<details><summary><h2 style="display:inline">{html.escape(t['appendix'])}</h2></summary>
{_records_table(tree.table(), ['parameter', 'date', 'value', 'unit', 'label_zh', 'label_en', 'reference', 'assumption'])}
</details>{CHECK_SCRIPT}</body></html>"""


def build_report(compare_dir):
    """Write ``report.html`` (never over an existing one) for a comparison directory; returns its path."""
    compare_dir = Path(compare_dir)
    record = json.loads((compare_dir / "run.json").read_text(encoding="utf-8"))
    comparison = pd.read_csv(compare_dir / "comparison.csv", encoding=CSV_ENCODING)
    ensembles = [charts.load_ensemble(d) for d in record["ensembles"].values()]
    drawn = make_charts(compare_dir, ensembles, comparison, fit_all())
    target = free_name(compare_dir, "report", ".html")
    target.write_text(render(comparison, drawn, ParameterTree.load(), record, ensembles), encoding="utf-8")
    return target
