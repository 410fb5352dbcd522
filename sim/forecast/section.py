"""The report section on the comparator forecasts: information set, backtest and both readings."""
from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from ..runner import CSV_ENCODING
from .backtest import POOLED

SHOWN = ("zhongwei_rural", "zhongwei_urban", "ningxia_rural", "ningxia_urban")
READ_TARGETS = ("T2", "T2_plan", "T3", "T3_plan")


def section(directory):
    """A bilingual ``<section>`` for ``directory/forecasts/``, or None when it is absent.

    Parameters
    ----------
    directory : pathlib.Path
        A comparison directory written by ``sim compare`` (or any directory holding
        ``forecasts/forecasts.csv`` and ``forecasts/backtest.csv``).

    Returns
    -------
    str or None
        The information set, the pooled backtest (coverage with its cell count, CRPS against the
        naive benchmark), the forecasts of the Zhongwei and Ningxia comparators, T2 and T3 under
        the forecast and the plan readings per package, and ``evaluate.csv`` when present.
    """
    d = Path(directory) / "forecasts"
    if not ((d / "forecasts.csv").is_file() and (d / "backtest.csv").is_file()):
        return None
    fc = pd.read_csv(d / "forecasts.csv", encoding=CSV_ENCODING)
    bt = pd.read_csv(d / "backtest.csv", encoding=CSV_ENCODING)
    as_of = int(fc["as_of"].dropna().iloc[0])
    chosen = fc[fc["model"] != "linked"]["model"].mode().iloc[0]
    parts = [f'<section id="forecasts"><h2>可比人群预测 · Comparator forecasts</h2>',
             f"<p>信息集：截至{as_of}年的数据；模型按回测的CRPS选择：{html.escape(chosen)}。中卫市只有一个观测年份，"
             f"其预测跟随宁夏同类序列的增长。<br>Information set: data up to {as_of}; the model chosen by "
             f"the backtest's CRPS: {html.escape(chosen)}. Zhongwei has one observed year; its forecasts "
             "follow the matching Ningxia series' growth.</p>",
             _backtest(bt, chosen), _forecasts(fc), _readings(Path(directory)), _evaluation(Path(directory))]
    return "".join(p for p in parts if p) + "</section>"


def _table(df, columns):
    head = "".join(f"<th>{html.escape(zh)}<br>{html.escape(en)}</th>" for zh, en in columns.values())
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in columns) + "</tr>"
                   for _, r in df.iterrows())
    # a wide table scrolls in its own box (the report's .wide class) instead of widening the page
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _backtest(bt, chosen):
    pooled = bt[(bt["series"] == POOLED) & bt["model"].isin([chosen, "naive"])].copy()
    for c in ("coverage80", "coverage95"):
        pooled[c] = pooled[c].map("{:.0%}".format)
    pooled["score"] = (pooled["score"] * 100).map("{:.3f}".format)
    return ("<h3>合并回测 · Pooled backtest</h3><p>滚动起点、1—4年步长，合并全部全国和宁夏序列；区间用其他序列的误差校准，"
            "且不窄于该序列截至起点的增长率标准差；"
            "评分为对数收入的CRPS（×100，越低越好）。<br>Rolling origins, horizons 1-4, pooled over the national and "
            "Ningxia series; intervals calibrated on the other series' errors and no narrower than the series' own "
            "growth spread up to the origin; score: CRPS of log income (x100, lower "
            "is better).</p>" + _table(pooled, {"model": ("模型", "model"), "horizon": ("步长", "horizon"),
                                                  "n": ("单元数", "n"), "coverage80": ("80%覆盖率", "80% coverage"),
                                                  "coverage95": ("95%覆盖率", "95% coverage"), "score": ("CRPS", "CRPS")}))


def _forecasts(fc):
    rows = fc[fc["series"].isin(SHOWN)].copy()
    for c in ("mean", "lo80", "hi80", "lo95", "hi95"):
        rows[c] = rows[c].map("{:,.0f}".format)
    return "<h3>预测（元/人·年） · Forecasts (yuan per person per year)</h3>" + _table(rows, {
        "series": ("序列", "series"), "year": ("年份", "year"), "mean": ("均值", "mean"),
        "lo80": ("80%下限", "80% low"), "hi80": ("80%上限", "80% high"), "lo95": ("95%下限", "95% low"),
        "hi95": ("95%上限", "95% high"), "model": ("模型", "model")})


def _readings(directory):
    record = directory / "run.json"
    if not record.is_file():
        return ""
    ensembles = json.loads(record.read_text(encoding="utf-8")).get("ensembles", {})
    rows = []
    for name, run in ensembles.items():
        f = Path(run) / "targets.csv"
        if f.is_file():
            t = pd.read_csv(f, encoding=CSV_ENCODING).set_index("target")
            rows.append({"package": name, **{k: f"{t.loc[k, 'probability']:.0%}" if k in t.index else "—"
                                             for k in READ_TARGETS}})
    if not rows:
        return ""
    return ("<h3>两种口径下的T2和T3 · T2 and T3 under both readings</h3><p>计划口径：种子文件004《四大提升行动》一(二)，"
            "2022年农村居民收入增长10%、城镇8%。<br>Plan reading: seed 004, 四大提升行动 §一(二), rural +10%, urban +8% "
            "in 2022.</p>" + _table(pd.DataFrame(rows), {
                "package": ("措施包", "package"), "T2": ("T2 预测口径", "T2 forecast"),
                "T2_plan": ("T2 计划口径", "T2 plan"), "T3": ("T3 预测口径", "T3 forecast"),
                "T3_plan": ("T3 计划口径", "T3 plan")}))


def _evaluation(directory):
    f = directory / "evaluate.csv"
    if not f.is_file():
        return ""
    ev = pd.read_csv(f, encoding=CSV_ENCODING)
    n = len(ev)
    return (f"<h3>与实际值比较 · Against realized figures</h3><p>{n}个实际值中，{ev['inside80'].sum()}个落在80%区间内，"
            f"{ev['inside95'].sum()}个落在95%区间内。<br>Of {n} realized figures, {ev['inside80'].sum()} fell inside "
            f"the 80% interval and {ev['inside95'].sum()} inside the 95% interval.</p>")
