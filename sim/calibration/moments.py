"""The base-year moments: each fact about 2021, its source, its tolerance and its simulated value.

A tolerance is the precision of the source, so that a simulated moment inside it cannot be told
apart from the fact: derived figures get the range their rounded inputs allow; one-village or
one-quarter figures a wider band.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

YEAR = 2021


@dataclass(frozen=True)
class Moment:
    """A base-year fact the model must reproduce."""

    key: str
    label_zh: str
    label_en: str
    target: float
    tolerance: float  # half-width of the band the source supports, same unit
    unit: str
    source: str


MOMENTS = (
    # 1,265 yuan = 12% (seed 004 实施意见 一(二)): the base is 1,265 / 0.12 = 10,542; with 12% rounded
    # to a whole per cent (11.5%-12.5%) the base lies in 10,120-11,000, so +/- 440 yuan.
    Moment("income", "2021年人均可支配收入", "Per-capita disposable income 2021", 1265 / 0.12, 440,
           "currency-CNY/person/year", "seed 004 实施意见 一(二) and 实施方案 一 (增加1265元，增长12%): 1,265 / 12%"),
    # Hongsibao Q1 2018: 960.9 of 1,573.2 yuan; one quarter of one district, so the study's band 0.45-0.75.
    Moment("wage_share", "工资性收入占比", "Wage share of income", 0.61, 0.15, "/1",
           "sim/data/household_facts.csv wage_share_hongsibao_migrants (Hongsibao statistics, Q1 2018)"),
    # Seed 004 实施方案 §二(二)1: 42,000 migrant labourers in off-farm work, for about 50,000 households
    # (population.zhongwei_households); the count is '4.2万人以上' (a floor), the households rounded: +/- 0.15.
    Moment("away_per_household", "户均外出务工人数", "Workers away per household", 42000 / 50000, 0.15,
           "person/household", "seed 004 实施方案 §二(二)1 (外出务工4.2万人以上) over about 50,000 households"),
    # Jingxing village, Lingwu: 2,692 people in 593 households; one village: +/- 0.5.
    Moment("household_size", "户均人口", "Persons per household", 4.54, 0.5, "person/household",
           "sim/data/household_facts.csv household_size_migrant_village (Ningxia Daily, 2022-01-12)"),
)
BY_KEY = {m.key: m for m in MOMENTS}


def simulated(tables, year=YEAR):
    """The moments of one run's tables (``income_yearly``, ``households_yearly``), by key."""
    y = tables["income_yearly"]
    y = y[(y.group == "all") & (y.year == year)].set_index("component")
    h = tables["households_yearly"]
    h = h[h.year == year].set_index("indicator")["value"]
    households = h["households"]
    return {"income": float(y.loc["disposable", "yuan_per_person"]),
            "wage_share": float(y.loc["wages", "yuan_per_person"] / y.loc["disposable", "yuan_per_person"]),
            "away_per_household": float(h["away_workers_mean"] / households),
            "household_size": float(y.loc["disposable", "persons"] / households)}


def distance(values, moments=MOMENTS):
    """The largest moment error in tolerances: 1 or less means every moment is inside its band."""
    return max(abs(values[m.key] - m.target) / m.tolerance for m in moments)


def table(simulations, moments=MOMENTS):
    """The moment table: target, tolerance, simulated mean and spread, inside or not.

    ``simulations`` is a list of ``simulated`` dicts (one per accepted draw and seed).
    """
    sims = pd.DataFrame(simulations)
    rows = []
    for m in moments:
        v = sims[m.key]
        rows.append({"moment": m.key, "label_zh": m.label_zh, "label_en": m.label_en, "target": m.target,
                     "tolerance": m.tolerance, "unit": m.unit, "simulated_mean": v.mean(),
                     "simulated_sd": v.std(ddof=1) if len(v) > 1 else 0.0,
                     "inside": bool(abs(v.mean() - m.target) <= m.tolerance), "source": m.source})
    return pd.DataFrame(rows)
