"""Shocks: illness (monthly), crop disasters (yearly, by county) and prices (yearly, common).

Job losses from macro shocks are in ``labour.separate`` (``labour.job_loss_multiplier``).
"""
from __future__ import annotations

import numpy as np


def illness_probability(age, chronic, P):
    """Monthly chance of an inpatient episode by age band and chronic illness."""
    I = P.shocks.illness
    base = np.select([age < 45, age < 60], [I.probability["under45"], I.probability["a45_59"]],
                     I.probability["over60"])
    return np.minimum(base * np.where(chronic, I.chronic_factor, 1.0), 1.0)


def inpatient_cost(n, P, rng):
    """Total cost of ``n`` inpatient episodes (yuan), lognormal."""
    I = P.shocks.illness
    return I.cost_median * np.exp(I.cost_sigma * rng.standard_normal(n))


def fall_ill(probability, P, rng):
    """Who is in hospital this month and what it costs.

    Parameters
    ----------
    probability : numpy.ndarray
        Each person's monthly chance of an inpatient episode (``illness_probability``).

    Returns
    -------
    sick : numpy.ndarray of bool
        Persons in hospital: they earn nothing and do not search this month.
    cost : numpy.ndarray of float
        Each person's inpatient cost this month (yuan), zero if not ill.
    """
    sick = rng.random(len(probability)) < probability
    cost = np.zeros(len(probability))
    cost[sick] = inpatient_cost(int(sick.sum()), P, rng)
    return sick, cost


def lose_job_from_illness(persons, sick, P, rng):
    """An employed person in hospital loses the job with ``shocks.illness.job_loss``."""
    rows = np.flatnonzero(sick & (persons.job > 0))
    ends = rows[rng.random(len(rows)) < P.shocks.illness.job_loss]
    persons.job[ends] = 0
    persons.employer[ends] = -1


def county_disasters(P, rng, counties=3):
    """Whether a disaster hits each county's crops this year."""
    return rng.random(counties) < P.industry.disaster.probability


def next_prices(prices, P, rng):
    """Move the yearly livestock and crop price indices (log random walk with drift).

    Parameters
    ----------
    prices : dict
        ``{"livestock": index, "livestock_last": index, "crops": index}``, 1.0 in 2021.
    """
    c = P.industry.cattle
    livestock = prices["livestock"] * np.exp(c.price_drift + c.price_volatility * rng.standard_normal())
    crops = prices["crops"] * np.exp(P.industry.crops.price_volatility * rng.standard_normal())
    return {"livestock": float(livestock), "livestock_last": prices["livestock"], "crops": float(crops)}
