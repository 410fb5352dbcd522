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
        self.n = n_households
        self._income = {}
        self.fiscal = dict.fromkeys(LEVERS, 0.0)
        self.parts = {}

    def add(self, component, amounts):
        """Add ``amounts`` (yuan, an array by household) to ``component`` (one of ``COMPONENTS``)."""
        if component not in COMPONENTS:
            raise KeyError(f"no income component {component!r}; allowed: {COMPONENTS}")
        old = self._income.get(component)
        # the first amounts are stored as zeros plus amounts would be (0.0 + x: a new array, and
        # -0.0 becomes 0.0), without building and adding to the zeros
        self._income[component] = np.add(amounts, 0.0) if old is None else np.add(old, amounts, out=old)

    def income(self, component):
        """The month's ``component`` income by household (yuan)."""
        got = self._income.get(component)
        return np.zeros(self.n) if got is None else got

    def part(self, name, yuan):
        """Note that ``yuan`` of what was added to ``PARTS[name]``'s component is that part."""
        self.parts[name] = self.parts.get(name, 0.0) + float(yuan)

    def spend(self, lever, yuan):
        self.fiscal[lever] += float(yuan)

    def total(self):
        return sum(self.income(c) for c in COMPONENTS)


def group_codes(h, villages):
    """Each household's category code (0-based) in every group dimension, fixed for a year."""
    return {"all": np.zeros(h.n, dtype=np.int64), "county": h.county.astype(np.int64),
            "cohort": h.cohort.astype(np.int64), "alleviated": h.alleviated.astype(np.int64),
            "monitored": (h.monitoring > 0).astype(np.int64),
            "migrant_kind": h.self_initiated.astype(np.int64),
            "key_village": villages.key.take(h.village).astype(np.int64)}


class Accounts:
    """Collects monthly group sums and yearly household indicators; builds tidy tables."""

    def __init__(self):
        self.months, self.by_cell = [], []
        self.yearly_households, self.employment, self.fiscal = [], [], []
        self.cell = self.members = self.persons_by_cell = None
        self.parts, self.persons = [], []

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
            self.cell, weights=ledger.income(c), minlength=self.n_cells) for c in COMPONENTS)], axis=1))
        if jobs is None:
            jobs = np.bincount(persons.job, minlength=len(JOBS))
        if labour is None:
            labour = int((persons.ability > 0).sum())
        self.employment.append((month, *jobs, labour))
        self.fiscal.append((month, *ledger.fiscal.values()))
        self.parts.extend((month.year, name, yuan) for name, yuan in ledger.parts.items())
        self.persons.append((month.year, float(h.size.sum())))

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
        m["year"] = np.repeat([d.year for d in self.months], len(GROUP_ROWS))
        m["month"] = np.repeat(np.array([d.isoformat()[:7] for d in self.months], dtype=object), len(GROUP_ROWS))
        monthly = _per_capita(m, ["month", "group", "subgroup"])
        sums = m.groupby(["year", "group", "subgroup"], sort=False).agg(
            persons=("persons", "mean"), **{c: (c, "sum") for c in COMPONENTS}).reset_index()
        yearly = _per_capita(sums, ["year", "group", "subgroup"])
        kinds = [*JOBS, "labour"]
        labels = [*(JOB_LABELS[k] for k in JOBS), ("有劳动能力", "With labour ability")]
        months = np.array([e[0].isoformat()[:7] for e in self.employment], dtype=object)
        employment = _long({"month": months}, "kind", kinds, "persons",
                           [np.array([e[1 + j] for e in self.employment], dtype=np.int64) for j in range(len(kinds))],
                           {"kind_zh": [zh for zh, _ in labels], "kind_en": [en for _, en in labels]})
        fis = pd.DataFrame(self.fiscal, columns=["month", *LEVERS])
        fis["year"] = [d.year for d in fis["month"]]
        by_year = fis.drop(columns="month").groupby("year").sum()
        fiscal = _long({"year": by_year.index.to_numpy()}, "lever", list(LEVERS), "yuan",
                       [by_year[k].to_numpy() for k in LEVERS],
                       {"lever_zh": [v[0] for v in LEVERS.values()], "lever_en": [v[1] for v in LEVERS.values()]})
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


def _long(ids, name, variables, value_name, values, labels):
    """A long table (what ``DataFrame.melt`` gives, built from arrays): the ``ids`` columns repeated
    for each of ``variables`` (column ``name``, with its ``labels`` columns), and ``values``."""
    k, n = len(variables), len(values[0])
    return pd.DataFrame({**{c: np.tile(v, k) for c, v in ids.items()},
                         name: np.repeat(np.array(variables, dtype=object), n), value_name: np.concatenate(values),
                         **{c: np.repeat(np.array(v, dtype=object), n) for c, v in labels.items()}})


def _per_capita(df, keys):
    """Long table of yuan per person by component (and disposable), with zh/en labels."""
    values = [df[c].to_numpy() for c in COMPONENTS]
    values.append(values[0] + values[1] + values[2] + values[3])  # disposable: the components in order
    components = [*COMPONENTS, "disposable"]
    k = len(components)
    persons = np.tile(df["persons"].to_numpy(), k)
    yuan = np.concatenate(values)
    sub = {(d, c): (zh, en) for d, (_, _, cats) in GROUPS.items() for c, zh, en in cats}
    group, subgroup = df["group"].to_numpy(), df["subgroup"].to_numpy()
    out = {key: np.tile(df[key].to_numpy(), k) for key in keys}
    for i, lang in enumerate(("zh", "en")):
        out[f"group_{lang}"] = np.tile(np.array([GROUPS[g][i] for g in group], dtype=object), k)
    for i, lang in enumerate(("zh", "en")):
        out[f"subgroup_{lang}"] = np.tile(np.array([sub[g, c][i] for g, c in zip(group, subgroup)], dtype=object), k)
    out["component"] = np.repeat(np.array(components, dtype=object), len(df))
    for i, lang in enumerate(("zh", "en")):
        out[f"component_{lang}"] = np.repeat(np.array([COMPONENT_LABELS[c][i] for c in components], dtype=object),
                                             len(df))
    out["persons"] = np.round(persons, 3)
    out["yuan_per_person"] = np.divide(yuan, persons, out=np.full(len(yuan), np.nan), where=persons > 0)
    return pd.DataFrame(out)
