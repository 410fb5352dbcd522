"""Transfers: dibao top-up, pensions, subsidies, health insurance and temporary assistance.

Net transfer income follows the NBS definition: transfers received (pensions, dibao, subsidies,
reimbursed medical costs, assistance) minus transfers paid (pension contributions, premiums).
"""
from __future__ import annotations

import numpy as np


def pensions(persons, P):
    """Monthly resident pension of each person of pension age (yuan)."""
    pen = P.transfers.pension
    return np.where(persons.age >= pen.age, pen.basic, 0.0)


def dibao_topup(h, P):
    """Monthly dibao of each dibao household: tops per-capita income up to the standard (yuan).

    The assessed income is last year's per-capita income before dibao (rural dibao: 补差,
    seed 004 实施方案 §二(四)4 gives the standard).
    """
    gap = np.maximum(P.transfers.dibao.standard - h.assessed_income, 0.0)
    return np.where(h.dibao, gap * h.size / 12.0, 0.0)


def critical_tiers(P):
    """Tiers of the supplementary payout: (starts, ends, rates) of each tier (yuan, yuan, share)
    and the yearly limit (yuan); seed 004 乡村振兴健康保通知 §二(二)."""
    hi = P.transfers.health_insurance
    starts = np.array(sorted(float(k) for k in hi.critical_rates))
    rates = np.array([hi.critical_rates[k] for k in sorted(hi.critical_rates, key=float)])
    return starts, np.append(starts[1:], np.inf), rates, hi.critical_limit


def critical_illness_cumulative(residual, P, tiers=None):
    """Supplementary payout on a year's cumulative residual in-list cost (yuan), by tier and capped.

    Tiers and limit: seed 004 乡村振兴健康保通知 §二(二); ``tiers`` is ``critical_tiers(P)``, if known.
    """
    starts, ends, rates, limit = critical_tiers(P) if tiers is None else tiers
    paid = (np.clip(np.asarray(residual)[..., None] - starts, 0, ends - starts) * rates).sum(-1)
    return np.minimum(paid, limit)


def medical_payouts(cost, residual_ytd, insured, P, tiers=None):
    """Split this month's inpatient costs into reimbursements and out-of-pocket costs.

    Parameters
    ----------
    cost : numpy.ndarray
        Each person's inpatient cost this month (yuan).
    residual_ytd : numpy.ndarray
        Each person's residual cost so far this year, updated in place.
    insured : numpy.ndarray of bool
        Whether each person holds 乡村振兴健康保.
    tiers : tuple, optional
        ``critical_tiers(P)``, if already known.

    Returns
    -------
    basic, critical, out_of_pocket : numpy.ndarray
        Basic insurance reimbursement, supplementary payout and the rest, per person (yuan).
    """
    basic = cost * P.shocks.illness.basic_reimbursement
    residual = cost - basic
    before = residual_ytd.copy()
    residual_ytd += residual
    after_before = critical_illness_cumulative(np.stack([residual_ytd, before]), P, tiers)
    critical = np.where(insured, after_before[0] - after_before[1], 0.0)
    return basic, critical, residual - critical


def enrol(h, P, rng):
    """Who holds 乡村振兴健康保 this year: alleviated and monitored households (county-subsidised,
    seed 004 健康保通知 §三), and other households that choose to, each January, with
    ``transfers.health_insurance.voluntary_takeup``."""
    return h.alleviated | (h.monitoring > 0) | (rng.random(h.n) < P.transfers.health_insurance.voluntary_takeup)


def premiums(h, P):
    """January premiums of 乡村振兴健康保: (paid by households, paid by the county), per household.

    Alleviated and monitored persons pay 20 yuan and the county 50; others who enrol pay 70
    (seed 004 乡村振兴健康保通知 §三).
    """
    hi = P.transfers.health_insurance
    subsidised = h.alleviated | (h.monitoring > 0)
    county = np.where(h.insured & subsidised, hi.county_share * h.size, 0.0)
    own = np.where(h.insured, hi.premium * h.size, 0.0) - county
    return own, county


def farmland_subsidy(h, P):
    """Yearly farmland protection subsidy per household (yuan)."""
    return h.land * P.transfers.farmland_subsidy


def livestock_subsidy(h, P):
    """Yearly per-head cattle subsidy per household (yuan)."""
    return h.cattle * P.industry.cattle.subsidy_per_head


def pension_contributions(persons, h, P):
    """Yearly pension contributions of adults 16-59 not in school, per person (yuan).

    Dibao households and persons with a disability pay none (the government pays for them).
    """
    pen = P.transfers.pension
    pays = ((persons.age >= P.labour.working_age["min"]) & (persons.age < pen.age) & ~persons.student
            & ~persons.disabled & ~h.dibao.take(persons.hh))
    return np.where(pays, pen.contribution, 0.0)


def temporary_assistance(out_of_pocket, P):
    """One-off assistance to households whose month's out-of-pocket cost exceeds the threshold."""
    ta = P.transfers.temporary_assistance
    return np.where(out_of_pocket > ta.threshold, ta.amount, 0.0)
