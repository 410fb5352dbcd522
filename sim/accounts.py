"""Income accounting in the four official components, by group, and fiscal spending by lever.

Per-capita disposable income (人均可支配收入) follows the NBS household survey: wages (工资性收入),
net operating income (经营净收入), net property income (财产净收入) and net transfers (转移净收入),
summed over a group's households and divided by the group's persons (monthly average).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .population import COHORT_LABELS, COHORTS, COUNTIES, COUNTY_LABELS
from .submodels.labour import JOB_LABELS, JOBS

COMPONENTS = ("wages", "operating", "property", "transfers")
COMPONENT_LABELS = {"wages": ("工资性收入", "Wages"), "operating": ("经营净收入", "Net operating income"),
                    "property": ("财产净收入", "Net property income"),
                    "transfers": ("转移净收入", "Net transfers"),
                    "disposable": ("可支配收入", "Disposable income")}
LEVERS = {"dibao": ("最低生活保障", "Dibao"), "pensions": ("城乡居民基础养老金", "Resident pensions"),
          "health_insurance": ("健康保保费补助", "Health insurance premium subsidy"),
          "farmland_subsidy": ("耕地地力保护补贴", "Farmland subsidy"),
          "livestock_subsidy": ("肉牛养殖补贴", "Cattle subsidy"),
          "temporary_assistance": ("临时救助", "Temporary assistance"),
          "public_posts": ("公益性岗位补贴", "Public post pay"), "training": ("技能培训", "Skills training")}
# Group dimensions: name -> (zh, en, categories as (code, zh, en)).
GROUPS = {
    "all": ("全部移民", "All migrants", [("all", "全部", "All")]),
    "county": ("县（区）", "County", [(c, *COUNTY_LABELS[c]) for c in COUNTIES]),
    "cohort": ("搬迁批次", "Cohort", [(c, *COHORT_LABELS[c]) for c in COHORTS]),
    "alleviated": ("脱贫户", "Poverty-alleviated", [("no", "否", "No"), ("yes", "是", "Yes")]),
    "monitored": ("监测户", "Monitored", [("no", "否", "No"), ("yes", "是", "Yes")]),
    "migrant_kind": ("迁徙类型", "Migrant kind", [("policy", "政策性移民", "Policy"),
                                                 ("self_initiated", "自主迁徙", "Self-initiated")]),
    "key_village": ("重点移民村", "Key village", [("no", "否", "No"), ("yes", "是", "Yes")]),
}
GROUP_ROWS = [(d, c) for d, (_, _, cats) in GROUPS.items() for c, _, _ in cats]
# Parts of a component that T5's broad reading of 产业收入 needs (sim.readings), recorded for all
# migrants as yearly indicators ``<part>_per_capita`` (yuan per person per year): name -> component.
PARTS = {"industry_wages": "wages", "dividends": "property"}
# Jobs whose wages count as income from industries: near-home firms, workshops, industrial parks
# (seed 004 实施方案 §二(一)2-4 and §二(二)1); work away and public posts do not.
INDUSTRY_JOBS = tuple(JOBS.index(j) for j in ("local", "workshop", "park"))


class Ledger:
    """One month's household income by component and public spending by lever (yuan)."""

    def __init__(self, n_households):
        self.income = {c: np.zeros(n_households) for c in COMPONENTS}
        self.fiscal = dict.fromkeys(LEVERS, 0.0)
        self.parts = {}

    def add(self, component, amounts):
        self.income[component] += amounts

    def part(self, name, yuan):
        """Note that ``yuan`` of what was added to ``PARTS[name]``'s component is that part."""
        self.parts[name] = self.parts.get(name, 0.0) + float(yuan)

    def spend(self, lever, yuan):
        self.fiscal[lever] += float(yuan)

    def total(self):
        return sum(self.income.values())


def group_codes(h, villages):
    """Each household's category code (0-based) in every group dimension, fixed for a year."""
    return {"all": np.zeros(h.n, dtype=np.int64), "county": h.county.astype(np.int64),
            "cohort": h.cohort.astype(np.int64), "alleviated": h.alleviated.astype(np.int64),
            "monitored": (h.monitoring > 0).astype(np.int64),
            "migrant_kind": h.self_initiated.astype(np.int64),
            "key_village": villages.key[h.village].astype(np.int64)}


class Accounts:
    """Collects monthly group sums and yearly household indicators; builds tidy tables."""

    def __init__(self):
        self.monthly, self.yearly_households, self.employment, self.fiscal = [], [], [], []
        self.parts, self.persons = [], []
        self.cell = self.members = None

    def start_year(self, h, villages):
        """Fix each household's groups for the year.

        Households are sorted into cells (one per combination of categories of every group
        dimension), so a month needs one sum per component over cells, not one per dimension.
        """
        codes = group_codes(h, villages)
        sizes = [len(GROUPS[d][2]) for d in codes]
        self.cell = np.ravel_multi_index(list(codes.values()), sizes)
        cells = np.unravel_index(np.arange(int(np.prod(sizes))), sizes)
        # Membership matrix: rows are (dimension, category), columns are cells.
        self.members = np.concatenate([np.equal.outer(np.arange(k), c) for k, c in zip(sizes, cells)])
        self.n_cells = int(np.prod(sizes))

    def record_month(self, month, ledger, h, persons):
        """Store group sums of each component and group persons for ``month``."""
        by_cell = np.stack([np.bincount(self.cell, weights=w, minlength=self.n_cells)
                            for w in (h.size, *(ledger.income[c] for c in COMPONENTS))], axis=1)
        by_group = [by_cell[m].sum(axis=0) for m in self.members]  # exact order: no BLAS
        for (dim, cat), row in zip(GROUP_ROWS, by_group):
            self.monthly.append((month, dim, cat, *row))
        jobs = np.bincount(persons.job, minlength=len(JOBS))
        self.employment.append((month, *jobs, int((persons.ability > 0).sum())))
        self.fiscal.append((month, *ledger.fiscal.values()))
        self.parts.extend((month.year, name, yuan) for name, yuan in ledger.parts.items())
        self.persons.append((month.year, float(h.size.sum())))

    def record_year(self, year, indicators):
        """Store the year's household-level indicators (a dict of name -> value)."""
        for name, value in indicators.items():
            self.yearly_households.append((year, name, float(value)))

    def tables(self):
        """Tidy tables: yearly and monthly income, employment, fiscal, household indicators."""
        m = pd.DataFrame(self.monthly, columns=["month", "group", "subgroup", "persons", *COMPONENTS])
        m["year"] = [d.year for d in m["month"]]
        m["month"] = [d.isoformat()[:7] for d in m["month"]]
        monthly = _per_capita(m, ["month", "group", "subgroup"])
        sums = m.groupby(["year", "group", "subgroup"], sort=False).agg(
            persons=("persons", "mean"), **{c: (c, "sum") for c in COMPONENTS}).reset_index()
        yearly = _per_capita(sums, ["year", "group", "subgroup"])
        emp = pd.DataFrame(self.employment, columns=["month", *JOBS, "labour"])
        emp["month"] = [d.isoformat()[:7] for d in emp["month"]]
        employment = emp.melt(id_vars="month", var_name="kind", value_name="persons")
        employment["kind_zh"] = [JOB_LABELS.get(k, ("有劳动能力", ""))[0] for k in employment["kind"]]
        employment["kind_en"] = [JOB_LABELS.get(k, ("", "With labour ability"))[1] for k in employment["kind"]]
        fis = pd.DataFrame(self.fiscal, columns=["month", *LEVERS])
        fis["year"] = [d.year for d in fis["month"]]
        fiscal = fis.drop(columns="month").groupby("year").sum().reset_index().melt(
            id_vars="year", var_name="lever", value_name="yuan")
        fiscal["lever_zh"] = [LEVERS[k][0] for k in fiscal["lever"]]
        fiscal["lever_en"] = [LEVERS[k][1] for k in fiscal["lever"]]
        households = pd.concat([pd.DataFrame(self.yearly_households, columns=["year", "indicator", "value"]),
                                self._parts_per_capita()], ignore_index=True)
        return {"income_yearly": yearly, "income_monthly": monthly, "employment_monthly": employment,
                "fiscal_yearly": fiscal, "households_yearly": households}

    def _parts_per_capita(self):
        """Yearly ``<part>_per_capita`` rows: a year's sum over the persons' monthly mean, as incomes."""
        g = pd.DataFrame(self.parts, columns=["year", "indicator", "yuan"]).groupby(
            ["year", "indicator"], sort=False)["yuan"].sum().reset_index()
        persons = pd.DataFrame(self.persons, columns=["year", "persons"]).groupby("year")["persons"].mean()
        return pd.DataFrame({"year": g["year"], "indicator": g["indicator"] + "_per_capita",
                             "value": g["yuan"].to_numpy() / persons.reindex(g["year"]).to_numpy()})


def _per_capita(df, keys):
    """Long table of yuan per person by component (and disposable), with zh/en labels."""
    df = df.copy()
    df["disposable"] = df[list(COMPONENTS)].sum(axis=1)
    long = df.melt(id_vars=[*keys, "persons"], value_vars=[*COMPONENTS, "disposable"],
                   var_name="component", value_name="yuan")
    long["yuan_per_person"] = np.divide(long["yuan"], long["persons"],
                                        out=np.full(len(long), np.nan), where=long["persons"] > 0)
    sub = long["group"] + "/" + long["subgroup"]
    labels = {f"{d}/{c}": (zh, en) for d, (_, _, cats) in GROUPS.items() for c, zh, en in cats}
    for i, lang in enumerate(("zh", "en")):
        long[f"group_{lang}"] = long["group"].map({g: v[i] for g, v in GROUPS.items()})
        long[f"subgroup_{lang}"] = sub.map({k: v[i] for k, v in labels.items()})
        long[f"component_{lang}"] = long["component"].map({c: v[i] for c, v in COMPONENT_LABELS.items()})
    long["persons"] = long["persons"].round(3)
    return long[[*keys, "group_zh", "group_en", "subgroup_zh", "subgroup_en", "component",
                 "component_zh", "component_en", "persons", "yuan_per_person"]]
