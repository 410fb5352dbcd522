"""Fiscal cost of each lever per year, in yuan at Zhongwei scale.

Two kinds of cost. Transfers the model pays household by household (dibao, pensions, the county's
health insurance premium, farmland and cattle subsidies, temporary assistance, public-post pay,
training) come from the run's ``fiscal_yearly`` table. Programme costs the model does not book to
households (workshop and park subsidies, brokers, loan interest, organised transfer, Fujian
placements, leading industries, cattle parks, online sales, collective projects, cooperative
support) are the levers' sizes times unit costs (``costs.*``, assumptions with uncertainty that
the ensemble draws). Simulated amounts are divided by the population scale (simulated households
/ ``population.zhongwei_households``).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

PROGRAMME_LEVERS = {
    "workshops": ("帮扶车间补贴", "Workshop subsidies"),
    "park_jobs": ("园区就业补助", "Industrial park hiring subsidies"),
    "brokers": ("劳务经纪人补助", "Labour brokers"),
    "loan_interest": ("创业担保贷款贴息", "Guarantee loan interest"),
    "organised_transfer": ("有组织劳务输出", "Organised transfer employment"),
    "fujian_placements": ("闽宁劳务输出", "Fujian placements"),
    "leading_industries": ("主导产业扶持", "Leading industries"),
    "cattle_parks": ("出户入园", "Cattle parks"),
    "online_sales": ("电商进村", "Online sales"),
    "collective_economy": ("村集体经济项目", "Collective economy projects"),
    "cooperatives": ("新型经营主体扶持", "Cooperative support"),
}
LOAN_TERM_YEARS = 2  # guarantee loans run two years (costs.loan_interest_subsidy's description)


def programme_costs(P, P0, indicators, scale):
    """One year's programme costs (yuan at Zhongwei scale).

    Parameters
    ----------
    P, P0 : sim.parameters.Snapshot
        Parameters in force in the year, and at the start (for levers raised above 2021 levels).
    indicators : dict
        The year's household indicators (``households_yearly``; simulated counts).
    scale : float
        Simulated households / Zhongwei's.
    """
    c, L, i = P.costs, P.labour, P.industry
    villages = P.population.key_villages + P.population.other_villages
    online_points = max(i.crops.online_share - P0.industry.crops.online_share, 0.0) * 100
    extra_collective = max(i.collective.income_per_village - P0.industry.collective.income_per_village, 0.0)
    return {
        "workshops": L.workshop_jobs * c.workshop_subsidy,
        "park_jobs": L.park_jobs * c.park_hiring_subsidy,
        "brokers": L.broker_coverage * villages * c.broker_subsidy,
        "loan_interest": indicators["guarantee_loans_issued_yuan"] / scale * c.loan_interest_subsidy * LOAN_TERM_YEARS,
        "organised_transfer": L.organised_transfer * indicators["away_workers_mean"] / scale * c.organised_transfer,
        "fujian_placements": indicators["fujian_placed"] / scale * c.fujian_placement,
        "leading_industries": i.leading_industry * villages * c.leading_industry,
        "cattle_parks": i.cattle_parks * indicators["villages_with_cattle"] * c.cattle_park,
        "online_sales": online_points * villages * c.online_sales,
        "collective_economy": extra_collective * P.population.key_villages * c.collective_support,
        "cooperatives": indicators["cooperative_members_joined_total"] / scale * c.cooperative_support,
    }


def lever_costs(tree, fiscal, households, scale, start):
    """Cost of every lever per year for one replication.

    Parameters
    ----------
    tree : sim.parameters.ParameterTree
        The replication's parameters (its draws applied).
    fiscal : pandas.DataFrame
        The replication's ``fiscal_yearly`` rows (``year, lever, yuan``; simulated population).
    households : pandas.DataFrame
        The replication's ``households_yearly`` rows (``year, indicator, value``).
    scale : float
    start : datetime.date

    Returns
    -------
    pandas.DataFrame
        ``year, lever, yuan`` at Zhongwei scale.
    """
    rows = [(r.year, r.lever, r.yuan / scale) for r in fiscal.itertuples()]
    ind = households.pivot_table(index="year", columns="indicator", values="value")
    ind["cooperative_members_joined_total"] = ind["cooperative_members_joined"].cumsum()
    P0 = tree.at(start)
    for year, row in ind.iterrows():
        P = tree.at(dt.date(int(year), 7, 1))
        rows += [(year, k, v) for k, v in programme_costs(P, P0, row.to_dict(), scale).items()]
    return pd.DataFrame(rows, columns=["year", "lever", "yuan"])
