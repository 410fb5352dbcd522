"""Report section "what the answer rests on": calibration, sensitivity ranking, PRIM boxes, assumptions.

``section(directory)`` reads what ``sim calibrate`` (copied into an ensemble by ``sim run --draws
calibrated``), ``sim sensitivity`` and ``sim discover`` wrote in an ensemble directory, or in the
ensemble directories of a comparison, and returns a bilingual HTML fragment, or None when none of
them is there. ``tables(directory)`` gives the same as tables, for notebooks.
"""
from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from .runner import CSV_ENCODING

TOP = 10  # parameters listed per target


def _found(directory, name):
    """``name`` in ``directory`` or in its immediate subdirectories (a comparison's ensembles)."""
    directory = Path(directory)
    return [p for p in [directory / name, *sorted(directory.glob(f"*/{name}"))] if p.is_file()]


def tables(directory):
    """The calibration moments, sensitivity, discovery and assumption share found under ``directory``.

    Returns
    -------
    dict
        ``moments``, ``sensitivity``, ``discovery`` (DataFrames with a ``source`` column naming the
        ensemble) and ``assumption_share`` (dict by ensemble); a key is missing when nothing is there.
    """
    from . import sensitivity
    from .parameters import ParameterTree
    out = {}
    for key, name in (("moments", "calibration/moments.csv"), ("sensitivity", "sensitivity.csv"),
                      ("discovery", "discovery.csv")):
        files = _found(directory, name)
        if files:
            out[key] = pd.concat([pd.read_csv(f, encoding=CSV_ENCODING).assign(
                source=f.parent.parent.name if key == "moments" else f.parent.name) for f in files], ignore_index=True)
    if "sensitivity" in out:
        tree = ParameterTree.load()
        # a Morris or Sobol' design's table has no RBD-FAST shares of variance to sum
        out["assumption_share"] = {src: sensitivity.assumption_share(t, tree)
                                   for src, t in out["sensitivity"].groupby("source") if (t.method == "rbd_fast").any()}
    return out


def _table(df, columns):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in columns) + "</tr>"
                   for _, r in df.iterrows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v):
    if isinstance(v, float):
        return f"{v:,.4g}"
    return str(v)


def section(directory):
    """The bilingual HTML ``<section>`` "what the answer rests on", or None if nothing is there."""
    from . import sensitivity
    found = tables(directory)
    if not found:
        return None
    parts = ["<section><h2>结论依据什么 · What the answer rests on</h2>"]
    if "moments" in found:
        parts.append("<h3>基年校准 · Base-year calibration</h3><p>每个2021年事实、其来源的精度（容差）以及校准后的"
                     "模拟值（接受的抽样的均值和标准差）。· Each 2021 fact, its source's precision (tolerance) and "
                     "the calibrated simulation (mean and sd over the accepted draws); bound at_most: the source gives a "
                     "ceiling; fitted False: reported, not used to accept draws.</p>")
        moments = found["moments"]  # "bound" (within / at_most) and "fitted" came later: older tables lack them
        parts.append(_table(moments, ["source", "label_zh", "label_en", "target", "tolerance",
                                      *[c for c in ("bound", "fitted") if c in moments],
                                      "simulated_mean", "simulated_sd", "inside"]))
    if "sensitivity" in found:
        s = found["sensitivity"]
        parts.append("<h3>敏感性排序 · Sensitivity ranking</h3><p>delta指数（矩独立，95%自助法区间）最高的参数；"
                     "噪声下限是一个与结果无关的虚拟参数的区间上端，低于它的参数与噪声无法区分。· Parameters with "
                     "the highest delta index (moment-independent, 95% bootstrap intervals); the noise floor is the "
                     "upper end of a dummy parameter's interval: parameters below it cannot be told from noise.</p>")
        for (src, target), t in s[s.method == "delta"].groupby(["source", "target"], sort=False):
            floor = sensitivity.noise_floor(t, target, "delta")
            top = sensitivity.ranking(t, target, "delta", TOP)
            parts.append(f"<p><b>{html.escape(src)} · {html.escape(target)}</b>（噪声下限 / noise floor {floor:.3f}）</p>")
            parts.append(_table(top, ["parameter", "index", "ci_low", "ci_high"]))
        for src, share in found["assumption_share"].items():
            parts.append(f"<p>{html.escape(src)}：T1数值（2022年增长率）的方差中，仍标为假设的参数解释了"
                         f"{share['assumed']:.0%}，有来源的参数解释了{share['sourced']:.0%}（RBD-FAST一阶指数，"
                         f"{share['above_noise']}个参数高于噪声下限）。· Of the variance of T1's figure (2022 growth), "
                         f"parameters still marked as assumptions explain {share['assumed']:.0%} and sourced ones "
                         f"{share['sourced']:.0%} (RBD-FAST first-order indices, {share['above_noise']} parameters "
                         "above the noise floor).</p>")
    if "discovery" in found:
        parts.append("<h3>目标在哪里实现（PRIM） · Where a target is met (PRIM)</h3>")
        for _, r in found["discovery"].drop_duplicates(["source", "target"]).iterrows():
            parts.append(f"<p>{html.escape(r.source)}：{html.escape(r.sentence_zh)}<br>{html.escape(r.sentence_en)}</p>")
    parts.append("</section>")
    return "\n".join(parts)
