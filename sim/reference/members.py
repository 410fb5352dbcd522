"""The reference's persons: job kinds, the Member object and the rules of one person (ODD §7.1-7.3).

Every rule here is scalar Python on one person, written from docs/ODD.md; parameters are read
from a snapshot of nested namespaces (``P.labour.wage.away``), as ``sim.reference.model`` builds it.
"""
from __future__ import annotations

import math

# Job kinds, in the order of the employment table (ODD §2.2 ``job``, §7.7).
JOBS = ("none", "away", "local", "workshop", "park", "public_post")
NONE, AWAY, LOCAL, WORKSHOP, PARK, POST = range(len(JOBS))
FINITE_JOBS = (LOCAL, WORKSHOP, PARK, POST)  # filled by the providers (ODD §7.3 step 4)
# Labour ability (ODD §7.1 step 5).
ABILITY_NONE, ABILITY_WEAK, ABILITY_FULL = 0, 1, 2
ABILITY_KEYS = {ABILITY_WEAK: "weak", ABILITY_FULL: "full"}  # keys of labour.participation etc.
WAGE_KEYS = {AWAY: "away", LOCAL: "local", WORKSHOP: "workshop", PARK: "park", POST: "public_post"}


class Member:
    """One person of a household (a plain object; the household is the Mesa agent).

    Attributes follow ODD §2.2 (Persons): age (years), female, chronic, disabled, student,
    trained, wage_factor (relative to the median worker), attachment (in [0, 1); takes part in
    the labour market while below ``labour.participation``), ability (0/1/2), job (index into
    ``JOBS``), employer (index of the provider, -1 if none). Monthly and year-to-date: sick,
    cost (inpatient cost this month, yuan), residual_ytd (yuan), months_employed.
    """

    __slots__ = ("age", "female", "chronic", "disabled", "student", "trained", "wage_factor",
                 "attachment", "ability", "job", "employer", "sick", "cost", "residual_ytd",
                 "months_employed")

    def __init__(self, age, female, chronic, disabled, student, trained, wage_factor, attachment,
                 ability, job=NONE, employer=-1):
        self.age, self.female, self.chronic, self.disabled = age, female, chronic, disabled
        self.student, self.trained, self.wage_factor = student, trained, wage_factor
        self.attachment, self.ability, self.job, self.employer = attachment, ability, job, employer
        self.sick, self.cost, self.residual_ytd, self.months_employed = False, 0.0, 0.0, 0

    @property
    def employed(self):
        return self.job != NONE

    def quit(self):
        """Leave the current job."""
        self.job, self.employer = NONE, -1

    def take(self, job, employer=-1):
        """Start a job of kind ``job`` (at provider ``employer`` for finite jobs)."""
        self.job, self.employer = job, employer


def newborn(pp, random):
    """A person aged 0 (ODD §7.1 step 4): no illness, disability, school or training; female
    with ``population.female_share``; wage factor lognormal(0, ``population.productivity_sigma``)."""
    return Member(age=0, female=random.random() < pp.female_share, chronic=False, disabled=False,
                  student=False, trained=False,
                  wage_factor=random.lognormvariate(0.0, pp.productivity_sigma),
                  attachment=random.random(), ability=ABILITY_NONE)


# -- demography (ODD §7.1) -----------------------------------------------------------------------
def labour_ability(age, student, disabled, chronic, L):
    """Labour ability: 0 none, 1 weak or half, 2 full.

    Of working age (``labour.working_age``, PRC Labour Law art. 15), not in school and without a
    disability: full, or weak from ``labour.weak_age`` or with a chronic illness (NBS rural
    household survey convention for 半劳动力).
    """
    if not L.working_age["min"] <= age <= L.working_age["max"] or student or disabled:
        return ABILITY_NONE
    return ABILITY_WEAK if age >= L.weak_age or chronic else ABILITY_FULL


def stays_in_school(age, student, pp, random):
    """School after a birthday (``population.*_enrolment``): 6-15 all; at 16 and 19 some go on.

    The chance of going on to tertiary study is conditional on upper secondary, so the shares
    of 16-18 and 19-22 year-olds in school stay at the enrolment rates.
    """
    if age < 6 or age > 22:
        return False
    if age <= 15:
        return True
    if age == 16:
        return student and random() < pp.upper_secondary_enrolment
    if age == 19:
        return student and random() < min(1.0, pp.tertiary_enrolment / pp.upper_secondary_enrolment)
    return student


def death_probability(age, P):
    """Yearly chance of death by age (``demography.mortality``, China rural life tables)."""
    m = P.demography.mortality
    return m["under60"] if age < 60 else m["a60_69"] if age < 70 else m["over70"]


def is_mother_age(m):
    """Women aged 20-44 may give birth (``demography.births``)."""
    return m.female and 20 <= m.age <= 44


# -- shocks (ODD §7.2) ---------------------------------------------------------------------------
def illness_probability(age, chronic, P):
    """Monthly chance of an inpatient episode by age band, raised if chronically ill.

    ``shocks.illness.probability`` (NHC health statistics) and ``shocks.illness.chronic_factor``.
    """
    I = P.shocks.illness
    base = I.probability["under45"] if age < 45 else I.probability["a45_59"] if age < 60 \
        else I.probability["over60"]
    return min(base * (I.chronic_factor if chronic else 1.0), 1.0)


# -- labour (ODD §7.3) ---------------------------------------------------------------------------
def separation_hazard(job, L):
    """Monthly chance that a job ends (``labour.separation``); macro shocks multiply the hazard
    of market jobs, not of public posts (``labour.job_loss_multiplier``)."""
    hazard = L.separation[WAGE_KEYS[job]]
    if job != POST:
        hazard *= L.job_loss_multiplier
    return min(hazard, 1.0)


def in_season(L, month):
    """Whether work away pays in calendar ``month``: February to November (``labour.away_season``)."""
    return L.away_season["first_month"] <= month <= L.away_season["last_month"]


def season_share(L):
    """The share of the year in which work away pays (10/12)."""
    return (L.away_season["last_month"] - L.away_season["first_month"] + 1) / 12


def market_wage(job, L, wage_index):
    """Monthly wage of a median full-ability worker in ``job`` (yuan/month); posts pay a flat,
    unindexed rate."""
    if job == POST:
        return L.wage.public_post
    return getattr(L.wage, WAGE_KEYS[job]) * wage_index


def personal_wage_factor(m, L):
    """Wage relative to the median full worker: own factor, weak labour and training premium."""
    factor = m.wage_factor * (L.weak_wage_factor if m.ability == ABILITY_WEAK else 1.0)
    return factor * (1.0 + L.skill_premium if m.trained else 1.0)


def wage(m, L, wage_index):
    """What ``m`` earns in a paid month of their job (yuan)."""
    return market_wage(m.job, L, wage_index) * (1.0 if m.job == POST else personal_wage_factor(m, L))


def takes_part(m, L):
    """Has labour ability and takes part in the labour market (``labour.participation``)."""
    return m.ability != ABILITY_NONE and m.attachment < L.participation[ABILITY_KEYS[m.ability]]


def logistic(x):
    """``1 / (1 + exp(-x))``, safe for large ``|x|`` and ``x = -inf``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` for scalars, ``b`` may be ``-inf``."""
    if b == -math.inf:
        return a
    hi, lo = max(a, b), min(a, b)
    return hi + math.log1p(math.exp(lo - hi))
