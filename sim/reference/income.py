"""The reference's monthly income of one household: wages, industry and transfers (ODD §7.3-7.5).

Each function takes a :class:`sim.reference.household.Household` and adds to its ``income``
(yuan this month, by the four NBS components) and to the model's ``spending`` (yuan by lever).
"""
from __future__ import annotations

import math

from sim.population import CROPS

from .members import AWAY, POST, in_season, wage


def earn_wages(hh, L, month):
    """Wages of the employed who are not in hospital (ODD §7.3 steps 6-7); away only in season.

    Public posts pay a flat rate from public funds (seed 004 实施方案 §二(二)1), booked as
    spending. Every member holding a job counts a month employed, paid or not.
    """
    model = hh.model
    for m in hh.members:
        if not m.employed:
            continue
        m.months_employed += 1
        model.away_months += m.job == AWAY
        if m.sick or (m.job == AWAY and not in_season(L, month)):
            continue
        pay = wage(m, L, model.wage_index)
        hh.income["wages"] += pay
        if m.job == POST:
            model.spend("public_posts", pay)


# -- industry (ODD §7.4) -------------------------------------------------------------------------
def run_industry(hh, P, month):
    """Net operating income (business, crops at harvest, livestock at sale) and property income
    (land rent monthly, dividends in December), yuan."""
    hh.income["operating"] += business_profit(hh, P) + livestock_income(hh, P, month)
    if month == P.industry.crops.harvest_month:
        hh.income["operating"] += crop_income(hh, P)
    if hh.rents_out:
        hh.income["property"] += hh.land * P.industry.land_rent / 12.0
    if month == 12:
        hh.income["property"] += dividends(hh, P)


def business_profit(hh, P):
    """Monthly small-business profit (``industry.business.monthly_profit``), growing with wages."""
    if not hh.business:
        return 0.0
    return P.industry.business.monthly_profit * hh.business_factor * hh.model.wage_index


def crop_income(hh, P):
    """Net crop income at harvest on land not rented out (``industry.crops.net_per_mu``; seed
    004 §二(一)1 names the crops), raised by online sales and cut by a county disaster."""
    if hh.rents_out:
        return 0.0
    cr, model = P.industry.crops, hh.model
    net = cr.net_per_mu[CROPS[hh.crop]] * (1.0 + cr.online_share * cr.online_premium) * model.prices["crops"]
    loss = P.industry.disaster.loss if model.disaster[hh.county] else 0.0
    return hh.land * net * (1.0 - loss)


def livestock_income(hh, P, month):
    """Cattle sold in their month: head x turnover x (fattened price now - calf price a year
    ago - costs, less the cattle-park saving) (household_facts: Haiyuan prices); sheep net per
    head in theirs (yuan)."""
    c, prices, out = P.industry.cattle, hh.model.prices, 0.0
    if month == c.sale_month:
        cost = c.cost_per_head * (1.0 - P.industry.cattle_parks * P.industry.cattle_park_saving)
        margin = c.fattened_price * prices["livestock"] - c.calf_price * prices["livestock_last"] - cost
        out += hh.cattle * c.turnover * margin
    if month == P.industry.sheep.sale_month:
        out += hh.sheep * P.industry.sheep.net_per_head * prices["livestock"]
    return out


def dividends(hh, P):
    """December payouts: the key village's collective (seed 004 实施方案 §二(一)3) to living
    households, the county cooperative's dividend to members (household_facts)."""
    model = hh.model
    collective = model.collective_of.get(hh.village)
    out = collective.payout_per_household(P) if collective is not None and hh.size > 0 else 0.0
    return out + (model.coops[hh.county].dividend(P) if hh.coop_member else 0.0)


# -- transfers (ODD §7.5) ------------------------------------------------------------------------
def receive_transfers(hh, P, month):
    """Net transfers (NBS): pensions, dibao, medical payouts, assistance, subsidies received,
    minus premiums (January) and pension contributions (``transfers.yearly_payment_month``)."""
    T, model = P.transfers, hh.model
    pension = sum(T.pension.basic for m in hh.members if m.age >= T.pension.age)
    dibao = dibao_topup(hh, T)
    reimbursed, out_of_pocket = medical_payouts(hh, P)
    assistance = T.temporary_assistance.amount if out_of_pocket > T.temporary_assistance.threshold else 0.0
    received = pension + dibao + reimbursed + assistance
    if month == 1:
        received -= pay_premiums(hh, T.health_insurance)
    if month == T.yearly_payment_month:
        received += yearly_subsidies(hh, P) - pension_contributions(hh, P)
    model.spend("pensions", pension)
    model.spend("dibao", dibao)
    model.spend("temporary_assistance", assistance)
    hh.income["transfers"] += received
    hh.year_dibao += dibao
    hh.year_out_of_pocket += out_of_pocket


def dibao_topup(hh, T):
    """Monthly dibao: tops last year's per-capita income before dibao up to the standard
    (rural dibao 补差; seed 004 实施方案 §二(四)4 gives the standard, yuan/person/year)."""
    if not hh.dibao:
        return 0.0
    return max(T.dibao.standard - hh.assessed_income, 0.0) * hh.size / 12.0


def critical_illness_cumulative(residual, hi):
    """Supplementary payout on a year's cumulative residual in-list cost (yuan), by tier, capped.

    Tiers and limit: seed 004 乡村振兴健康保通知 §二(二) (0-20000元20%, 20000-40000元30%,
    40000元以上40%; 每人年度累计限额50000元).
    """
    starts = sorted(hi.critical_rates, key=float)
    paid = 0.0
    for i, key in enumerate(starts):
        lo = float(key)
        top = float(starts[i + 1]) if i + 1 < len(starts) else math.inf
        paid += min(max(residual - lo, 0.0), top - lo) * hi.critical_rates[key]
    return min(paid, hi.critical_limit)


def medical_payouts(hh, P):
    """Reimbursed inpatient costs (basic insurance, then 乡村振兴健康保 on the year's cumulative
    residual for the insured, seed 004 通知 §二(二)) and the household's out-of-pocket rest."""
    hi, share = P.transfers.health_insurance, P.shocks.illness.basic_reimbursement
    reimbursed = out_of_pocket = 0.0
    for m in hh.members:
        if m.cost > 0.0:
            basic = m.cost * share
            residual = m.cost - basic
            before, m.residual_ytd = m.residual_ytd, m.residual_ytd + residual
            critical = (critical_illness_cumulative(m.residual_ytd, hi)
                        - critical_illness_cumulative(before, hi)) if hh.insured else 0.0
            reimbursed += basic + critical
            out_of_pocket += residual - critical
    return reimbursed, out_of_pocket


def pay_premiums(hh, hi):
    """January premiums of 乡村振兴健康保 (seed 004 通知 §三): 70 yuan a person; the county pays
    50 for alleviated and monitored households. Returns the household's own share (yuan)."""
    if not hh.insured:
        return 0.0
    county = hi.county_share * hh.size if (hh.alleviated or hh.monitored) else 0.0
    hh.model.spend("health_insurance", county)
    return hi.premium * hh.size - county


def yearly_subsidies(hh, P):
    """Farmland protection subsidy per mu and cattle subsidy per head (seed 004 §二(一)1)."""
    farmland = hh.land * P.transfers.farmland_subsidy
    cattle = hh.cattle * P.industry.cattle.subsidy_per_head
    hh.model.spend("farmland_subsidy", farmland)
    hh.model.spend("livestock_subsidy", cattle)
    return farmland + cattle


def pension_contributions(hh, P):
    """Yearly pension contributions of members 16-59 not in school; dibao households and
    persons with a disability pay none (the government pays for them)."""
    if hh.dibao:
        return 0.0
    pen, first = P.transfers.pension, P.labour.working_age["min"]
    return sum(pen.contribution for m in hh.members
               if first <= m.age < pen.age and not m.student and not m.disabled)


def months_income(hh):
    """The household's disposable income this month (yuan), the sum of its four components."""
    return sum(hh.income.values())

