"""Demography, once a year in January: ageing, school, births, deaths and labour ability."""
from __future__ import annotations

import numpy as np

from ..population import ABILITY_NONE, ABILITY_WEAK, Persons, labour_ability, primary_earners


def school_transitions(age, student, P, rng):
    """Who is in school after a birthday: 6-15 all, 16-18 and 19-22 by enrolment, none after."""
    pp = P.population
    stay_upper = rng.random(len(age)) < pp.upper_secondary_enrolment
    # conditional on being in upper secondary, the chance of going on to tertiary
    stay_tertiary = rng.random(len(age)) < min(1.0, pp.tertiary_enrolment / pp.upper_secondary_enrolment)
    # whole-array logic rather than np.select over six age bands (several times faster, same result)
    staying = student & (age >= 16) & (age <= 22)
    staying &= (age != 16) | stay_upper
    staying &= (age != 19) | stay_tertiary
    return staying | ((age >= 6) & (age <= 15))


def mortality(age, P):
    """Yearly chance of death by age (``demography.mortality``)."""
    m = P.demography.mortality
    by_age = np.full(max(int(age.max(initial=0)) + 1, 71), m["over70"])  # a lookup by age, not np.select
    by_age[:70], by_age[:60] = m["a60_69"], m["under60"]
    return by_age.take(age)  # ``take``: indexing by int16 ages is slower


def birth_probability(age, female, P):
    """Yearly chance that each woman aged 20-44 gives birth, so births per person = ``demography.births``."""
    mothers = female & (age >= 20) & (age <= 44)
    per_mother = P.demography.births * len(age) / max(int(mothers.sum()), 1)
    return np.where(mothers, min(per_mother, 1.0), 0.0)


def newborns(hh, P, rng):
    """Persons aged 0 born into households ``hh``."""
    n = len(hh)
    return Persons(hh=hh.astype(np.int32), age=np.zeros(n, np.int16),
                   female=rng.random(n) < P.population.female_share, chronic=np.zeros(n, bool),
                   disabled=np.zeros(n, bool), student=np.zeros(n, bool), trained=np.zeros(n, bool),
                   wage_factor=rng.lognormal(0.0, P.population.productivity_sigma, n).astype(np.float32),
                   attachment=rng.random(n, dtype=np.float32),
                   ability=np.zeros(n, np.int8), job=np.zeros(n, np.int8),
                   employer=np.full(n, -1, np.int32))


def end_incompatible_jobs(persons, away_job):
    """People without labour ability leave any job; weak labour leaves work away."""
    ends = (persons.ability == ABILITY_NONE) | ((persons.ability == ABILITY_WEAK) & (persons.job == away_job))
    persons.job[ends] = 0
    persons.employer[ends] = -1


def age_one_year(pop, P, rng, away_job):
    """One year of ageing, school, deaths and births; returns the new Persons.

    Households left without members are dissolved: they keep their row but own nothing, so no
    income is booked to a household of no persons.
    """
    p = pop.persons
    p.age += 1
    p.student = school_transitions(p.age, p.student, P, rng)
    dies = rng.random(p.n) < mortality(p.age, P)
    mothers = rng.random(p.n) < birth_probability(p.age, p.female, P)
    born = newborns(p.hh[mothers & ~dies], P, rng)
    p = p.select(~dies).extend(born)
    p.ability = labour_ability(p.age, p.student, p.disabled, p.chronic, P.labour)
    p.attachment[primary_earners(p.hh, p.ability == 2, p.attachment, rng)] = 0.0
    end_incompatible_jobs(p, away_job)
    h = pop.households
    h.size = np.bincount(p.hh, minlength=h.n)
    gone = h.size == 0
    h.land[gone], h.cattle[gone], h.sheep[gone] = 0.0, 0.0, 0.0
    h.business[gone], h.coop_member[gone], h.rents_out[gone], h.dibao[gone] = False, False, False, False
    pop.persons = p
    return p
