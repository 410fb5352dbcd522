"""Target readings: each target under the readings its words allow, with what the documents mean.

A reading is a target computed another way than ``sim.targets`` computes it: T1 as a level as
well as a growth, T4 as the growth per year it needs, T5 with 产业收入 read narrowly and broadly,
T6 at every threshold from 90% to 100%. Each reading keeps its per-replication figure beside its
probability, so that a probability of 0 shows how far the figure is from the threshold. The
functions read the same ``sim.targets.Inputs`` as the targets (duck-typed: ``migrant``,
``indicator``, ``comparators``, ``P``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# T6 thresholds read (/1): from 90% ("nearly every") to 100% (the documents' "every"), by 1 point.
T6_THRESHOLDS = tuple(round(0.90 + 0.01 * k, 2) for k in range(11))
T6_INDICATOR = "labour_households_with_stable_job_or_industry_share"
BASE_YEAR, T1_YEAR, LAST_YEAR = 2021, 2022, 2025

# What the documents mean, per target (zh, en); the reasons cite the seeds' clauses.
MEANING = {
    "T1": ("文件的目标是同比变化：“2022年实现移民群众人均可支配收入同比增加1265元，增长12%”（种子004 实施意见 一(二)、"
           "实施方案 一）。10,542元（=1265÷12%）和11,807元都是由这两个数推出的，文件没有直接写出；当模拟的2021年基数"
           "不等于10,542元时，文件所指的是增长12%，所以以增长读法为准，水平读法只作对照。",
           "The documents set a year-on-year change: 'per-capita disposable income up 1,265 yuan year on year, "
           "growth 12%' (seed 004 实施意见 一(二), 实施方案 一). 10,542 (= 1,265 / 12%) and 11,807 are derived from "
           "those two numbers, not stated; where the simulated 2021 base differs from 10,542 the documents mean the "
           "12% growth, so the growth reading is the target and the level reading a cross-check."),
    "T4": ("“基本达到全区农村居民平均水平”（种子000 第四章）没有给出比例；以95%为“基本达到”是假设。"
           "所需年增长率是从模拟的2021年收入达到2025年该水平所需的年均增速。",
           "'Basically reach the region's rural average' (seed 000 ch. 4) gives no ratio; reading it as 95% is an "
           "assumption. The growth needed is the yearly growth from the simulated 2021 income to that 2025 level."),
    "T5": ("40%的要求写在种子004 实施方案 §二(一)1“加大产业扶持力度”中；这一节包括特色种养、农产品加工企业和园区、"
           "合作社与村集体经济以及“联农带农……共享产业发展红利”（§二(一)2-4），而帮扶车间和外出务工列在"
           "§二(二)“就业帮扶”，方案也把“产业、就业、社会融入”分为3件事。因此文件所说的产业收入比经营净收入宽"
           "（含分红和产业链工资），又比宽口径窄（不含帮扶车间全部工资）：窄口径是下限，宽口径是上限。",
           "The 40% is required in seed 004 实施方案 §二(一)1, 'more support to industries'; that section covers farming, "
           "processing firms and parks, cooperatives and village collectives and 'linking farmers ... sharing the "
           "gains of industrial development' (§二(一)2-4), while workshops and migrant work are under §二(二) "
           "'employment support', and the plan names industry, employment and social integration as three separate "
           "tasks. The documents' industry income is so wider than net operating income (it includes dividends and "
           "wages along the industrial chain) and narrower than the broad reading (not all workshop wages): the "
           "narrow reading is a lower bound, the broad one an upper bound."),
    "T6": ("文件要求“有劳动能力的家庭至少1人稳定就业”（种子004 实施意见 §二(三)），即100%；抽样人口几乎不可能达到"
           "整整100%，所以给出90%至100%各门槛下的概率。",
           "The documents ask that every household with labour ability has at least one person in stable work "
           "(seed 004 实施意见 §二(三)), that is 100%; a sampled population almost never reaches exactly 100%, so the "
           "probability is given at every threshold from 90% to 100%."),
}


class MetShare:
    """The probability a target is met (share of replications in ``met``) and its Monte Carlo error."""

    @property
    def probability(self):
        return float(self.met.mean())

    @property
    def mc_error(self):
        """Binomial standard error of ``probability`` over the replications."""
        p, n = self.probability, len(self.met)
        return float(np.sqrt(p * (1 - p) / n)) if n else float("nan")


@dataclass
class Reading(MetShare):
    """One reading of one target over the ensemble."""

    target: str
    reading: str
    label_zh: str
    label_en: str
    figure: str          # what the figure is, with unit
    values: np.ndarray   # the figure, one per replication
    met: np.ndarray      # bool, one per replication
    definition: str


def t1_level(x):
    """The documents' own level for 2022: the 2021 base implied by +1,265 yuan = +12%, plus 1,265."""
    t = x.P.targets
    level = t.t1_increase / t.t1_growth + t.t1_increase
    income = x.migrant(T1_YEAR)
    return Reading("T1", "level", "2022年收入达到文件水平", "2022 income reaches the documents' level",
                   f"{T1_YEAR} per-capita disposable income (yuan)", income, income >= level,
                   f"income {T1_YEAR} >= {level:,.0f} yuan ({t.t1_increase:,.0f} / {t.t1_growth:.0%} + "
                   f"{t.t1_increase:,.0f})")


def t1_growth(x):
    """T1 as ``sim.targets`` reads it: growth over the simulated 2021 income."""
    t = x.P.targets
    growth = x.migrant(T1_YEAR) / x.migrant(BASE_YEAR) - 1.0
    return Reading("T1", "growth", "比模拟的2021年增长12%", "12% over the simulated 2021 income",
                   f"growth {BASE_YEAR}-{T1_YEAR} (/1)", growth, growth >= t.t1_growth,
                   f"growth >= {t.t1_growth:.0%}")


def t4_needed(x):
    """Yearly growth from the simulated 2021 income needed to reach the catch-up ratio in 2025."""
    ratio = x.P.targets.t4_catch_up_ratio
    years = LAST_YEAR - BASE_YEAR
    needed = (ratio * x.comparators["ningxia_rural"][LAST_YEAR].to_numpy() / x.migrant(BASE_YEAR)) ** (1 / years) - 1
    simulated = (x.migrant(LAST_YEAR) / x.migrant(BASE_YEAR)) ** (1 / years) - 1
    return Reading("T4", "needed_growth", "2021-2025年所需年增长率", "Growth per year needed 2021-2025",
                   f"yearly growth needed {BASE_YEAR}-{LAST_YEAR} to reach {ratio:.0%} of Ningxia rural income (/1)",
                   needed, simulated >= needed,
                   f"simulated yearly growth (median {np.median(simulated):.1%}) >= the growth needed")


def industry_share(x, year, broad):
    """Share of 产业收入 in disposable income (/1), narrow (经营净收入) or broad.

    Broad: net operating income + wages from near-home firms, workshops and industrial parks +
    cooperative and collective dividends (``sim.accounts.PARTS``, all migrants).
    """
    industry = x.migrant(year, "operating")
    if broad:
        industry = industry + x.indicator("industry_wages_per_capita", year) + x.indicator("dividends_per_capita", year)
    return industry / x.migrant(year)


def t5(x, broad, year=T1_YEAR):
    threshold = x.P.targets.t5_operating_share
    share = industry_share(x, year, broad)
    if broad:
        names = ("宽口径：经营净收入+本地企业、车间、园区工资+分红", "Broad: operating + local, workshop, park wages + dividends")
    else:
        names = ("窄口径：经营净收入", "Narrow: net operating income")
    return Reading("T5", "broad" if broad else "narrow", *names, f"{year} share of industry income in disposable "
                   "income (/1)", share, share >= threshold, f"share >= {threshold:.0%} in {year}")


def t6_at(x, threshold, years=range(T1_YEAR, LAST_YEAR + 1)):
    lowest = np.min([x.indicator(T6_INDICATOR, y) for y in years], axis=0)
    return Reading("T6", f"at_{threshold:.2f}", f"门槛{threshold:.0%}", f"Threshold {threshold:.0%}",
                   "lowest yearly share of labour households with a stable job or industry (/1)", lowest,
                   lowest >= threshold - 1e-12, f"share >= {threshold:.0%} in every year {years[0]}-{years[-1]}")


def evaluate(x):
    """Every reading of T1, T4, T5 and T6 for the inputs ``x`` (a ``sim.targets.Inputs``)."""
    out = [t1_growth(x), t1_level(x), t4_needed(x), t5(x, broad=False)]
    if ("industry_wages_per_capita", T1_YEAR) in x.households.columns:
        out.append(t5(x, broad=True))
    return out + [t6_at(x, th) for th in T6_THRESHOLDS]


def frame(readings):
    """One row per reading: probability, Monte Carlo error, the figure's distribution, meaning."""
    rows = []
    for r in readings:
        q = np.nanquantile(r.values, [0.1, 0.5, 0.9])
        rows.append({"target": r.target, "reading": r.reading, "label_zh": r.label_zh, "label_en": r.label_en,
                     "probability": r.probability, "mc_error": r.mc_error, "figure": r.figure,
                     "figure_p10": q[0], "figure_median": q[1], "figure_p90": q[2], "definition": r.definition,
                     "meaning_zh": MEANING[r.target][0], "meaning_en": MEANING[r.target][1]})
    return pd.DataFrame(rows)


def summary(readings):
    """Plain-text lines: each reading's probability beside its figure."""
    lines = ["Readings (probability; figure: median [10%, 90%])"]
    for r in frame(readings).itertuples():
        lines.append(f"{r.target} {r.reading:<14} {r.probability:6.1%}  {r.figure}: {r.figure_median:,.3f} "
                     f"[{r.figure_p10:,.3f}, {r.figure_p90:,.3f}]  ({r.definition})")
    return "\n".join(lines)
