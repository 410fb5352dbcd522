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


class Ledger:
    """One month's household income by component and public spending by lever (yuan)."""

    def __init__(self, n_households):
        self.income = {c: np.zeros(n_households) for c in COMPONENTS}
        self.fiscal = dict.fromkeys(LEVERS, 0.0)

    def add(self, component, amounts):
        self.income[component] += amounts

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
        self.months, self.by_cell = [], []
        self.yearly_households, self.employment, self.fiscal = [], [], []
        self.cell = self.members = self.persons_by_cell = None

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
        # household sizes change only in January, before this
        self.persons_by_cell = np.bincount(self.cell, weights=h.size, minlength=self.n_cells)

    def record_month(self, month, ledger, h, persons, jobs=None, labour=None):
        """Store sums by cell of group persons and each component for ``month``; ``jobs``
        (persons by job kind) and ``labour`` (persons with labour ability), if known, save a pass."""
        self.months.append(month)
        self.by_cell.append(np.stack([self.persons_by_cell, *(np.bincount(
            self.cell, weights=ledger.income[c], minlength=self.n_cells) for c in COMPONENTS)], axis=1))
        if jobs is None:
            jobs = np.bincount(persons.job, minlength=len(JOBS))
        if labour is None:
            labour = int((persons.ability > 0).sum())
        self.employment.append((month, *jobs, labour))
        self.fiscal.append((month, *ledger.fiscal.values()))

    def monthly_groups(self):
        """Group persons and sums of each component by month: rows of (month, dimension, category, ...)."""
        by_cell = np.stack(self.by_cell)  # month x cell x (persons, components)
        by_group = np.stack([by_cell[:, m].sum(axis=1) for m in self.members], axis=1)  # exact order: no BLAS
        return pd.DataFrame({"month": np.repeat(np.array(self.months, dtype=object), len(GROUP_ROWS)),
                             "group": [d for d, _ in GROUP_ROWS] * len(self.months),
                             "subgroup": [c for _, c in GROUP_ROWS] * len(self.months),
                             **{k: by_group[..., j].ravel() for j, k in enumerate(("persons", *COMPONENTS))}})

    def record_year(self, year, indicators):
        """Store the year's household-level indicators (a dict of name -> value)."""
        for name, value in indicators.items():
            self.yearly_households.append((year, name, float(value)))

    def tables(self):
        """Tidy tables: yearly and monthly income, employment, fiscal, household indicators."""
        m = self.monthly_groups()
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
        households = pd.DataFrame(self.yearly_households, columns=["year", "indicator", "value"])
        return {"income_yearly": yearly, "income_monthly": monthly, "employment_monthly": employment,
                "fiscal_yearly": fiscal, "households_yearly": households}


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
