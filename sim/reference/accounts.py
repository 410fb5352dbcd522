"""The reference's income accounting: per-capita income by component and group, jobs, spending.

Written from ODD §7.7, household by household: each January every household is put in one
category of each group dimension; each recorded month adds its persons and its four income
components to those groups, counts persons by job kind and sums spending by lever. Yearly
per-capita income is the year's sum over its months divided by the mean monthly persons
(NBS: a ratio of sums). The tables carry the codes of the engine's tables (``group``,
``subgroup``, ``component``, ``kind``, ``lever``, ``indicator``) without their labels.
"""
from __future__ import annotations

import math

import pandas as pd

from sim.population import COHORTS, COUNTIES

# The four NBS components of disposable income (人均可支配收入, ODD §4 Basic principles).
COMPONENTS = ("wages", "operating", "property", "transfers")
DISPOSABLE = "disposable"  # the sum of the four
# Spending levers booked by the run (ODD §7.5, §7.3).
LEVERS = ("dibao", "pensions", "health_insurance", "farmland_subsidy", "livestock_subsidy",
          "temporary_assistance", "public_posts", "training")
LABOUR = "labour"  # the employment table's row of persons with labour ability
NO_YES = ("no", "yes")


def group_categories(hh, key_villages):
    """The household's category in each group dimension (ODD §7.7), as (dimension, code) pairs."""
    return (("all", "all"), ("county", COUNTIES[hh.county]), ("cohort", COHORTS[hh.cohort]),
            ("alleviated", NO_YES[bool(hh.alleviated)]), ("monitored", NO_YES[hh.monitored]),
            ("migrant_kind", "self_initiated" if hh.self_initiated else "policy"),
            ("key_village", NO_YES[bool(key_villages[hh.village])]))


def all_groups():
    """Every (dimension, code) row of the income tables, in table order."""
    return ([("all", "all")] + [("county", c) for c in COUNTIES] + [("cohort", c) for c in COHORTS]
            + [("alleviated", c) for c in NO_YES] + [("monitored", c) for c in NO_YES]
            + [("migrant_kind", "policy"), ("migrant_kind", "self_initiated")]
            + [("key_village", c) for c in NO_YES])


class ReferenceAccounts:
    """Collects the recorded months and years of one run; ``tables()`` gives tidy tables."""

    def __init__(self, jobs):
        self.jobs = jobs  # job kind names, in index order
        self.groups_of = {}  # household -> its (dimension, code) pairs for this year
        self.months = []     # (date, {group: [persons, wages, operating, property, transfers]})
        self.jobs_held = []  # (date, {kind: persons})
        self.spending = []   # (date, {lever: yuan})
        self.indicators = []  # (year, {indicator: value})

    def start_year(self, households, key_villages):
        """Fix each household's groups for the year (monitored: the status after last review)."""
        self.groups_of = {hh: group_categories(hh, key_villages) for hh in households}

    def record_month(self, date, households, spending):
        """Add the month's persons and income by group, persons by job, and spending by lever."""
        # Households sharing all their categories are summed first, then added to each group.
        by_categories = {}
        held = dict.fromkeys((*self.jobs, LABOUR), 0)
        for hh in households:
            row = by_categories.setdefault(self.groups_of[hh], [0.0] * (1 + len(COMPONENTS)))
            row[0] += hh.size
            for k, c in enumerate(COMPONENTS, start=1):
                row[k] += hh.income[c]
            for m in hh.members:
                held[self.jobs[m.job]] += 1
                held[LABOUR] += m.ability > 0
        sums = {g: [0.0] * (1 + len(COMPONENTS)) for g in all_groups()}
        for categories, row in by_categories.items():
            for g in categories:
                sums[g] = [a + b for a, b in zip(sums[g], row)]
        self.months.append((date, sums))
        self.jobs_held.append((date, held))
        self.spending.append((date, dict(spending)))

    def record_year(self, year, indicators):
        self.indicators.append((year, dict(indicators)))

    # -- tables ----------------------------------------------------------------------------------
    def tables(self):
        """``income_yearly``, ``income_monthly``, ``employment_monthly``, ``fiscal_yearly`` and
        ``households_yearly``, with the engine's code columns."""
        return {"income_yearly": self.income_yearly(), "income_monthly": self.income_monthly(),
                "employment_monthly": pd.DataFrame(
                    [(d.isoformat()[:7], k, n) for d, held in self.jobs_held for k, n in held.items()],
                    columns=["month", "kind", "persons"]),
                "fiscal_yearly": self.fiscal_yearly(),
                "households_yearly": pd.DataFrame(
                    [(y, name, float(v)) for y, ind in self.indicators for name, v in ind.items()],
                    columns=["year", "indicator", "value"])}

    def income_monthly(self):
        """Yuan per person in each recorded month, by group and component (and disposable)."""
        rows = []
        for date, sums in self.months:
            for (dim, code), (persons, *amounts) in sums.items():
                rows += _per_capita_rows((date.isoformat()[:7], dim, code), persons, amounts)
        return pd.DataFrame(rows, columns=["month", "group", "subgroup", "component", "persons",
                                           "yuan_per_person"])

    def income_yearly(self):
        """Yuan per person in each recorded year: the year's sum / its mean monthly persons."""
        years = {}
        for date, sums in self.months:
            year = years.setdefault(date.year, {"months": 0, "sums": {}})
            year["months"] += 1
            for g, row in sums.items():
                total = year["sums"].setdefault(g, [0.0] * len(row))
                for k, x in enumerate(row):
                    total[k] += x
        rows = []
        for y, year in years.items():
            for (dim, code), (persons, *amounts) in year["sums"].items():
                rows += _per_capita_rows((y, dim, code), persons / year["months"], amounts)
        return pd.DataFrame(rows, columns=["year", "group", "subgroup", "component", "persons",
                                           "yuan_per_person"])

    def fiscal_yearly(self):
        """Yuan by lever, summed over each recorded year's months."""
        totals = {}
        for date, spent in self.spending:
            year = totals.setdefault(date.year, dict.fromkeys(LEVERS, 0.0))
            for lever, yuan in spent.items():
                year[lever] += yuan
        return pd.DataFrame([(y, lever, yuan) for y, by in totals.items() for lever, yuan in by.items()],
                            columns=["year", "lever", "yuan"])


def _per_capita_rows(keys, persons, amounts):
    """One row per component and for disposable income: yuan per person (NaN without persons)."""
    values = dict(zip(COMPONENTS, amounts))
    values[DISPOSABLE] = sum(amounts)
    return [(*keys, c, persons, yuan / persons if persons > 0 else math.nan)
            for c, yuan in values.items()]
