"""The report's opening answer: per target, the baseline's and the best package's probability.

Everything is read from a comparison's results: each package's ``targets.csv`` (probability and
Monte Carlo standard error per target; the forecast's information set and the comparator reading
when the table records them), ``comparison.csv`` (extra cost, to break ties and to name the cost)
and, when ``sim design`` has run, ``design/summary.json`` (the cheapest package found, re-checked).
"""
from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass

import pandas as pd

from .charts.style import COST_SCALE, PERCENT
from .runner import CSV_ENCODING

NOT_RECORDED = {"zh": "未记录", "en": "not recorded"}
# Columns the forecast helper's targets table may carry (first present wins); absent: not recorded.
AS_OF_COLUMNS = ("as_of", "forecast_as_of", "as_of_year", "information_set")
READING_COLUMNS = ("reading", "comparator_reading")
DESIGN_SUMMARY = "design/summary.json"  # written by sim design inside its re-check comparison


@dataclass(frozen=True)
class Answer:
    """One target: its label, the baseline's and the best package's probability (/1) and MC error."""

    target: str
    label: dict
    baseline: tuple
    best: tuple | None          # (package Label, probability, mc_error) or None without packages
    as_of: str | None
    reading: str | None


def percent(p, se=None):
    """'35% ± 8%' (probabilities /1, shown to whole percent); '—' for a missing value."""
    if p is None or not math.isfinite(float(p)):
        return "—"
    text = f"{PERCENT * float(p):.0f}%"
    if se is not None and math.isfinite(float(se)):
        text += f" ± {PERCENT * float(se):.0f}%"
    return text


def _first_row(table, target):
    rows = table[table["target"] == target] if table is not None else None
    return None if rows is None or rows.empty else rows.iloc[0]


def _recorded(tables, target, columns):
    """The value of the first of ``columns`` in the row each table uses for ``target`` (its
    first), distinct values joined; None when no table records it."""
    values = []
    for table in tables:
        row = _first_row(table, target)
        column = next((c for c in columns if row is not None and c in row.index), None)
        v = None if column is None else row[column]
        if v is not None and pd.notna(v) and str(v).strip():
            text = str(v).removesuffix(".0")  # a year read as float: 2021.0 -> 2021
            if text not in values:
                values.append(text)
    return ", ".join(values) or None


def answers(ensembles, comparison):
    """One ``Answer`` per target of the baseline's (first ensemble's) targets table.

    The best package is the one of highest probability among the others; among equals, the one
    of least extra cost (``comparison.csv``), then the first.
    """
    base = ensembles[0]
    cost = dict(zip(comparison["scenario"], comparison["extra_cost_yuan"]))
    out = []
    for target in ([] if base.targets is None else base.targets["target"].drop_duplicates()):
        b = _first_row(base.targets, target)
        candidates = []
        for order, e in enumerate(ensembles[1:]):
            r = _first_row(e.targets, target)
            if r is not None and pd.notna(r["probability"]):
                c = cost.get(e.record["scenario"]["name"], math.inf)
                candidates.append((-r["probability"], c if pd.notna(c) else math.inf, order, e, r))
        best = min(candidates, key=lambda t: t[:3]) if candidates else None
        tables = [e.targets for e in ensembles]
        out.append(Answer(target, {"zh": b["label_zh"], "en": b["label_en"]},
                          (b["probability"], b["mc_error"]),
                          (best[3].label, best[4]["probability"], best[4]["mc_error"]) if best else None,
                          _recorded(tables, target, AS_OF_COLUMNS),
                          _recorded(tables, target, READING_COLUMNS)))
    return out


TEXT = {
    "zh": {"lead": "答案先行：各目标在基线与最佳措施包下的达成概率（±蒙特卡洛标准误，{r}次重复）。",
           "item": "{t}（{label}）：基线{base}；最佳措施包{pkg}{best}。",
           "none": "{t}（{label}）：基线{base}；没有其他措施包。",
           "zero": "{t}（{label}）：基线{base}；没有任何措施包在任何一次重复中达成（0%）。",
           "info": "信息集（预测截至年份）：{as_of}；对比读数：{reading}。",
           "design": "sim design 找到的满足{wanted}的最便宜措施包：{levers}；新增成本{cost}百万元；"
                     "用新种子复核：{probs}。",
           "design_none": "sim design 在给定范围内没有找到满足{wanted}的措施包；搜索中达到的最高概率"
                          "（新增成本，百万元）：{reached}。"},
    "en": {"lead": "The answer first: each target's probability under the baseline and the best "
                   "package (± Monte Carlo standard error, {r} replications).",
           "item": "{t} ({label}): baseline {base}; best package {pkg}, {best}.",
           "none": "{t} ({label}): baseline {base}; there is no other package.",
           "zero": "{t} ({label}): baseline {base}; no package reaches it in any replication (0%).",
           "info": "Information set (forecast as of): {as_of}; comparator reading: {reading}.",
           "design": "Cheapest package meeting {wanted} found by sim design: {levers}; extra "
                     "cost {cost} million yuan; re-checked with fresh seeds: {probs}.",
           "design_none": "sim design found no package within its ranges meeting {wanted}; best "
                          "probabilities reached in the search (extra cost, million yuan): {reached}."},
}


def design_sentence(directory, lang):
    """What ``sim design`` found (``design/summary.json``): the cheapest package meeting the
    constraints, re-checked with fresh seeds, or the best probability reached; None if absent."""
    path = directory / DESIGN_SUMMARY
    if not path.is_file():
        return None
    T, rec = TEXT[lang], json.loads(path.read_text(encoding="utf-8"))
    wanted = ", ".join(f"P({t}) ≥ {PERCENT * p:.0f}%" for t, p in rec["constraints"].items())
    w = rec.get("winner")
    if w:
        probs = ", ".join(f"P({t}) {percent(*p)}" for t, p in w["probabilities"].items())
        levers = ", ".join(f"{k} = {v:,.6g}" for k, v in w["levers"].items())
        return T["design"].format(wanted=wanted, levers=levers, probs=probs,
                                  cost=f"{w['extra_cost_yuan'] / COST_SCALE:,.1f}")
    best = rec["best_reached_in_search"]
    reached = ", ".join(f"P({t}) {percent(b['probability'])} ({b['extra_cost_yuan'] / COST_SCALE:,.1f})"
                        for t, b in best.items())
    return T["design_none"].format(wanted=wanted, reached=reached)


def _info(answer, lang):
    """The information set and comparator reading behind a target, or 'not recorded'."""
    missing = NOT_RECORDED[lang]
    return TEXT[lang]["info"].format(as_of=answer.as_of or missing,
                                     reading=answer.reading or missing)


def opening_html(ensembles, comparison, directory, replications):
    """The opening: in Chinese then English, a lead, one line per target and the design result."""
    found = answers(ensembles, comparison)
    parts = []
    for lang in ("zh", "en"):
        T = TEXT[lang]
        shared = len({(a.as_of, a.reading) for a in found}) == 1  # one information set for all
        items = []
        for a in found:
            base = percent(*a.baseline)
            key = "none" if a.best is None else "zero" if a.best[1] == 0 else "item"
            best = (getattr(a.best[0], lang), percent(a.best[1], a.best[2])) if a.best else ("", "")
            line = html.escape(T[key].format(t=a.target, label=a.label[lang], base=base,
                                             pkg=best[0], best=best[1]))
            if not shared:
                line += f' <span class="info">{html.escape(_info(a, lang))}</span>'
            items.append(f"<li>{line}</li>")
        if shared and found:
            items.append(f'<li class="info">{html.escape(_info(found[0], lang))}</li>')
        design = design_sentence(directory, lang)
        parts.append(f'<div lang="{"zh-CN" if lang == "zh" else "en"}">'
                     f"<p><strong>{html.escape(T['lead'].format(r=replications))}</strong></p>"
                     f"<ul>{''.join(items)}</ul>"
                     + (f"<p>{html.escape(design)}</p>" if design else "") + "</div>")
    return ('<section id="answer"><h2>答案 / The answer</h2>' + "".join(parts) + "</section>")
