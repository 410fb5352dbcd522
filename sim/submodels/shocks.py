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


# Illness risk classes: the age bands of ``shocks.illness.probability`` times chronic illness.
BAND_STARTS = np.array([0, 45, 60])


def risk_classes(age, chronic):
    """Rows of the persons in each illness risk class (age band x chronic illness)."""
    band = np.searchsorted(BAND_STARTS, np.arange(int(age.max(initial=0)) + 1), side="right") - 1  # by age
    cls = (band.take(age) * 2 + chronic).astype(np.int8)
    # each class's rows ascending: what a stable sort by class split by class gives, a few times faster
    return [np.flatnonzero(cls == k) for k in range(2 * len(BAND_STARTS))]


def class_probability(P):
    """Monthly chance of an inpatient episode of each risk class."""
    return illness_probability(np.repeat(BAND_STARTS, 2), np.tile([False, True], len(BAND_STARTS)), P)


def fall_ill(members, n, P, rng, chances=None):
    """Who is in hospital this month and what it costs.

    In each risk class the number ill is binomial and the ill are a random subset: the same
    distribution as one Bernoulli draw per person, at a fraction of the cost.

    Parameters
    ----------
    members : list of numpy.ndarray
        ``risk_classes(age, chronic)``.
    n : int
        Number of persons.
    chances : numpy.ndarray, optional
        ``class_probability(P)``, if already known.

    Returns
    -------
    sick : numpy.ndarray of bool
        Persons in hospital: they earn nothing and do not search this month.
    ill, cost : numpy.ndarray
        Rows of the persons in hospital and their inpatient costs (yuan).
    """
    chances = class_probability(P) if chances is None else chances
    ill = [np.zeros(0, dtype=np.intp)]
    for p, m in zip(chances, members):
        k = rng.binomial(len(m), p)
        if k > 0:  # choosing no one draws nothing: skipping the call keeps the random stream
            ill.append(m.take(rng.choice(len(m), k, replace=False)))
    ill = np.concatenate(ill)
    sick = np.zeros(n, dtype=bool)
    sick[ill] = True
    return sick, ill, inpatient_cost(len(ill), P, rng)


def lose_job_from_illness(persons, ill, P, rng):
    """An employed person in hospital (rows ``ill``) loses the job with ``shocks.illness.job_loss``."""
    rows = np.sort(ill[persons.job[ill] > 0])
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
