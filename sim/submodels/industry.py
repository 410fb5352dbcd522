"""Household industry: crops, cattle, sheep and small businesses; land rent and dividends.

Yearly (January): households start or stop raising cattle and sheep (cattle with a peer effect
from the village) and new small businesses start with guarantee loans. Monthly: business
profit and land rent; crops pay at harvest, livestock at sale, dividends in December.
Operating income is net of cash costs; rent and dividends are property income.
"""
from __future__ import annotations

import numpy as np

from ..population import CROPS


def village_share(flag, village, n_villages):
    """Share of each village's households where ``flag`` holds."""
    n = np.bincount(village, minlength=n_villages)
    k = np.bincount(village, weights=flag, minlength=n_villages)
    return np.divide(k, n, out=np.zeros(n_villages), where=n > 0)


def adopt_livestock(h, n_villages, P, rng):
    """Yearly entry to and exit from cattle fattening and sheep raising; leading industries
    (seed 004 实施方案 §二(一)1) add ``industry.leading_industry_gain`` to the chance of starting."""
    pp, c, s = P.population, P.industry.cattle, P.industry.sheep
    alive = h.size > 0
    peers = village_share(h.cattle > 0, h.village, n_villages).take(h.village)
    chance = c.adoption + c.peer_effect * peers + P.industry.leading_industry * P.industry.leading_industry_gain
    start = alive & (h.cattle == 0) & (rng.random(h.n) < np.minimum(chance, 1.0))
    stop = (h.cattle > 0) & (rng.random(h.n) < c.exit)
    h.cattle[stop] = 0
    h.cattle[start] = 1 + rng.poisson(pp.cattle_herd - 1, int(start.sum()))
    start = alive & (h.sheep == 0) & (rng.random(h.n) < s.adoption)
    stop = (h.sheep > 0) & (rng.random(h.n) < s.exit)
    h.sheep[stop] = 0
    h.sheep[start] = 1 + rng.poisson(pp.sheep_flock - 1, int(start.sum()))


def join_cooperatives(h, members, rng):
    """``members`` households, at random among living non-members, join a dividend-paying
    cooperative or leading firm (新型经营主体, seed 004 实施方案 §二(一)3). Returns how many joined."""
    pool = np.flatnonzero(~h.coop_member & (h.size > 0))
    chosen = pool[rng.permutation(len(pool))[:int(members)]]
    h.coop_member[chosen] = True
    return len(chosen)


def new_businesses(h, scale, P, rng):
    """Close businesses at ``industry.business.exit`` and start the ones guarantee loans fund.

    Returns
    -------
    float
        Loans issued (yuan, simulated population).
    """
    b = P.industry.business
    h.business[h.business & (rng.random(h.n) < b.exit)] = False
    n_new = int(round(b.guarantee_loans * scale / b.loan_size))
    pool = np.flatnonzero(~h.business & (h.size > 0))
    chosen = pool[rng.permutation(len(pool))[:n_new]]
    h.business[chosen] = True
    h.business_factor[chosen] = rng.lognormal(-b.profit_sigma ** 2 / 2, b.profit_sigma, len(chosen))
    return len(chosen) * b.loan_size


def crop_income(h, disaster, prices, P):
    """Net crop income at harvest (yuan per household) for households farming their land; the
    share sold online earns ``industry.crops.online_premium`` more (seed 004 实施方案 §二(一)1)."""
    cr = P.industry.crops
    net = np.array([cr.net_per_mu[k] for k in CROPS]).take(h.crop) * (1.0 + cr.online_share * cr.online_premium)
    loss = np.where(disaster.take(h.county), P.industry.disaster.loss, 0.0)
    return np.where(h.rents_out, 0.0, h.land * net * prices["crops"] * (1.0 - loss))


def cattle_margin(prices, P):
    """Net income per head sold (yuan): fattened price minus calf bought a year earlier and costs,
    which cattle parks (出户入园, seed 004 实施方案 §二(一)1) cut by ``industry.cattle_park_saving``."""
    c, i = P.industry.cattle, P.industry
    cost = c.cost_per_head * (1.0 - i.cattle_parks * i.cattle_park_saving)
    return c.fattened_price * prices["livestock"] - c.calf_price * prices["livestock_last"] - cost


def livestock_income(h, prices, P, month):
    """Net cattle income in the sale month plus net sheep income in theirs (yuan per household)."""
    out = np.zeros(h.n)
    if month == P.industry.cattle.sale_month:
        out += h.cattle * P.industry.cattle.turnover * cattle_margin(prices, P)
    if month == P.industry.sheep.sale_month:
        out += h.sheep * P.industry.sheep.net_per_head * prices["livestock"]
    return out


def business_income(h, P, wage_index):
    """Monthly small-business profit (yuan per household), growing with wages."""
    return np.where(h.business, P.industry.business.monthly_profit * h.business_factor * wage_index, 0.0)


def land_rent(h, P):
    """Monthly rent from land rented out (yuan per household)."""
    return np.where(h.rents_out, h.land * P.industry.land_rent / 12.0, 0.0)


def dividends(h, n_villages, collectives, coops, P):
    """December cooperative dividends and village collective payouts (yuan per household)."""
    per_village = np.zeros(n_villages)
    for c in collectives:
        per_village[c.village] = c.payout_per_household(P)
    per_county = np.array([coop.dividend(P) for coop in coops])
    return per_village.take(h.village) * (h.size > 0) + np.where(h.coop_member, per_county.take(h.county), 0.0)
