"""Synthetic migrant households and persons, as a struct of arrays.

Households and persons are parallel numpy arrays; ``persons.hh`` links each person to a
household row. Everything is drawn from the ``population.*`` parameters (their files give
sources and uncertainty), with ``sim/data/household_facts.csv`` as the anchors the tests check.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, fields

import numpy as np


COUNTIES = ("shapotou", "zhongning", "haiyuan")
COUNTY_LABELS = {"shapotou": ("沙坡头区", "Shapotou"), "zhongning": ("中宁县", "Zhongning"),
                 "haiyuan": ("海原县", "Haiyuan")}
COHORTS = ("c11", "c12", "c13")
COHORT_LABELS = {"c11": ("十一五", "2006-10 cohort"), "c12": ("十二五", "2011-15 cohort"),
                 "c13": ("十三五", "2016-20 cohort")}
CROPS = ("grain_potato", "goji", "fruit")
# Monitoring status codes (seed 001 名词解释 2-3; seed 004 实施意见 §二(一)).
NOT_MONITORED, UNSTABLE, EDGE, SUDDEN = 0, 1, 2, 3
AGE_BANDS = {"a0_5": (0, 5), "a6_15": (6, 15), "a16_18": (16, 18), "a19_24": (19, 24),
             "a25_44": (25, 44), "a45_59": (45, 59), "a60_69": (60, 69), "a70_85": (70, 85)}
ADULT_BANDS = ("a25_44", "a45_59", "a60_69")
ABILITY_NONE, ABILITY_WEAK, ABILITY_FULL = 0, 1, 2  # Persons.ability


@dataclass
class Households:
    """One row per household. Money in yuan, land in mu, livestock in head."""

    county: np.ndarray          # int8 index into COUNTIES
    village: np.ndarray         # int32 index into Villages
    cohort: np.ndarray          # int8 index into COHORTS
    self_initiated: np.ndarray  # bool, 自主迁徙
    alleviated: np.ndarray      # bool, 脱贫户
    monitoring: np.ndarray      # int8, NOT_MONITORED / UNSTABLE / EDGE / SUDDEN
    dibao: np.ndarray           # bool
    insured: np.ndarray         # bool, 乡村振兴健康保
    land: np.ndarray            # float, contracted land (mu)
    rents_out: np.ndarray       # bool, land rented out (土地流转)
    crop: np.ndarray            # int8 index into CROPS
    cattle: np.ndarray          # float, fattening cattle kept (head)
    sheep: np.ndarray           # float, sheep kept (head)
    business: np.ndarray        # bool, runs a small business
    business_factor: np.ndarray  # float, the business's profit relative to the mean
    coop_member: np.ndarray     # bool, holds a cooperative dividend share
    size: np.ndarray            # int, persons
    last_income: np.ndarray     # float, last year's per-capita disposable income (yuan)
    assessed_income: np.ndarray  # float, last year's per-capita income before dibao (yuan)

    @property
    def n(self):
        return len(self.county)


@dataclass
class Persons:
    """One row per person."""

    hh: np.ndarray           # int32 household row
    age: np.ndarray          # int16 years
    female: np.ndarray       # bool
    chronic: np.ndarray      # bool, chronic illness
    disabled: np.ndarray     # bool, disability limiting work
    student: np.ndarray      # bool, in school
    trained: np.ndarray      # bool, has skills training
    wage_factor: np.ndarray  # float, personal wage relative to the median worker
    attachment: np.ndarray   # float in [0, 1): takes part in the labour market while below participation
    ability: np.ndarray      # int8, 0 none / 1 weak or half / 2 full
    job: np.ndarray          # int8 index into sim.submodels.labour.JOBS (0 = none)
    employer: np.ndarray     # int32 index of the meso agent employing the person, -1 if none

    @property
    def n(self):
        return len(self.hh)

    def select(self, mask):
        """The persons where ``mask`` holds."""
        return Persons(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    def extend(self, other):
        """These persons followed by ``other``."""
        return Persons(**{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                          for f in fields(self)})


def labour_ability(age, student, disabled, chronic, L):
    """Labour ability (0 none, 1 weak or half, 2 full) of each person.

    Of working age (``L.working_age``), not in school and without a disability: full, or weak
    from ``L.weak_age`` or with a chronic illness (NBS convention for 半劳动力).
    """
    working = (age >= L.working_age["min"]) & (age <= L.working_age["max"]) & ~student & ~disabled
    weak = (age >= L.weak_age) | chronic
    return np.where(working, np.where(weak, ABILITY_WEAK, ABILITY_FULL), ABILITY_NONE).astype(np.int8)


def primary_earners(hh, full, attachment, rng):
    """Rows of new main earners: one full-ability member, at random, in each household that has
    full labour but no member already marked as main earner (attachment 0).

    The main earner always takes part in the labour market: households send at least one member
    to work (seed 004 实施意见 §二(三) wants one stable worker per household with labour).
    """
    has = np.zeros(int(hh.max()) + 1 if len(hh) else 0, dtype=bool)
    has[hh[full & (attachment == 0)]] = True
    rows = np.flatnonzero(full & ~has.take(hh))
    rows = rows[rng.permutation(len(rows))]
    _, first = np.unique(hh[rows], return_index=True)
    return rows[first]


@dataclass
class Villages:
    """One row per migrant village."""

    county: np.ndarray   # int8
    key: np.ndarray      # bool, one of the 56 key villages
    broker_rank: np.ndarray  # float in [0, 1): a village has a broker while rank < coverage


@dataclass
class Population:
    """Households, persons and villages of one synthetic population."""

    households: Households
    persons: Persons
    villages: Villages
    scale: float  # simulated households / Zhongwei's migrant households

    def copy(self):
        return copy.deepcopy(self)

    def summary(self):
        """Anchor statistics for checking the population against its sources."""
        h, p = self.households, self.persons
        working = (p.age >= 16) & (p.age <= 64) & ~p.student
        return {"households": h.n, "persons": p.n, "household_size": p.n / h.n,
                "full_labour_per_household": float((p.ability == 2).sum() / h.n),
                "weak_labour_per_household": float((p.ability == 1).sum() / h.n),
                "working_age_share": float(working.mean()),
                "alleviated_share": float(h.alleviated.mean()),
                "monitored_share": float((h.monitoring > 0).mean()),
                "cattle_share": float((h.cattle > 0).mean())}


def _choose(rng, shares, n):
    keys = list(shares)
    prob = np.array([shares[k] for k in keys], dtype=float)
    return rng.choice(len(keys), size=n, p=prob / prob.sum())


def _villages(P, rng):
    pp = P.population
    n_key, n_other = int(pp.key_villages), int(pp.other_villages)
    county = np.concatenate([_choose(rng, pp.county_share, n_key),
                             _choose(rng, pp.county_share, n_other)]).astype(np.int8)
    key = np.arange(n_key + n_other) < n_key
    return Villages(county=county, key=key, broker_rank=rng.random(n_key + n_other))


def _place(county, key, villages, rng):
    """Pick a village of the household's county and kind (key or other) uniformly."""
    village = np.empty(len(county), dtype=np.int32)
    for c in range(len(COUNTIES)):
        for k in (True, False):
            rows = np.flatnonzero((county == c) & (key == k))
            pool = np.flatnonzero((villages.county == c) & (villages.key == k))
            if len(pool) == 0:  # no village of that kind in the county: any village of the county
                pool = np.flatnonzero(villages.county == c)
            village[rows] = pool[rng.integers(0, len(pool), len(rows))]
    return village


def _ages(P, size, rng):
    """One adult per household (household head), the rest from the age structure."""
    n = int(size.sum())
    shares = P.population.age_share
    band = _choose(rng, shares, n)
    first = np.zeros(n, dtype=bool)
    first[np.concatenate([[0], np.cumsum(size)[:-1]])] = True
    adult_bands = np.array([list(shares).index(k) for k in ADULT_BANDS])
    band[first] = adult_bands[_choose(rng, {k: shares[k] for k in ADULT_BANDS}, int(first.sum()))]
    lo = np.array([AGE_BANDS[k][0] for k in shares]).take(band)
    hi = np.array([AGE_BANDS[k][1] for k in shares]).take(band)
    return rng.integers(lo, hi + 1).astype(np.int16)


def _persons(P, size, rng):
    pp = P.population
    n = int(size.sum())
    hh = np.repeat(np.arange(len(size), dtype=np.int32), size)
    age = _ages(P, size, rng)
    chronic_p = np.select([age < 45, age < 60], [pp.chronic_share["under45"], pp.chronic_share["a45_59"]],
                          pp.chronic_share["over60"])
    student = (((age >= 6) & (age <= 15))
               | ((age >= 16) & (age <= 18) & (rng.random(n) < pp.upper_secondary_enrolment))
               | ((age >= 19) & (age <= 22) & (rng.random(n) < pp.tertiary_enrolment)))
    disabled = rng.random(n) < pp.disability_share
    chronic = rng.random(n) < chronic_p
    ability = labour_ability(age, student, disabled, chronic, P.labour)
    attachment = rng.random(n, dtype=np.float32)
    attachment[primary_earners(hh, ability == 2, attachment, rng)] = 0.0
    return Persons(hh=hh, age=age, female=rng.random(n) < pp.female_share, chronic=chronic, disabled=disabled,
                   student=student, trained=(ability > 0) & (rng.random(n) < pp.trained_share),
                   wage_factor=rng.lognormal(0.0, pp.productivity_sigma, n).astype(np.float32),
                   attachment=attachment, ability=ability, job=np.zeros(n, dtype=np.int8),
                   employer=np.full(n, -1, dtype=np.int32))


def _herd(rng, share, mean, n):
    keeps = rng.random(n) < share
    return np.where(keeps, 1 + rng.poisson(max(mean - 1, 0), n), 0).astype(np.float64)


def _alleviated(cohort, dependency, pp, rng):
    """Poverty-alleviated status: all of the 13th-plan cohort (易地扶贫搬迁 of registered poor
    households), the rest drawn more often where there are many persons per full labour."""
    c13 = cohort == COHORTS.index("c13")
    weight = np.where(c13, 0.0, dependency ** pp.alleviated_dependency_weight)
    wanted = max(pp.alleviated_share * len(cohort) - c13.sum(), 0.0)
    return c13 | (rng.random(len(cohort)) < np.minimum(wanted * weight / weight.sum(), 1.0))


def _mean_one_lognormal(rng, sigma, n):
    return rng.lognormal(-sigma ** 2 / 2, sigma, n)


def build_population(P, households, rng):
    """Draw a synthetic population.

    Parameters
    ----------
    P : sim.parameters.Snapshot
        Parameters in effect in January 2021.
    households : int
        Number of households to draw.
    rng : numpy.random.Generator
        The population's own random stream.

    Returns
    -------
    Population
    """
    pp = P.population
    H = int(households)
    villages = _villages(P, rng)
    county = _choose(rng, pp.county_share, H).astype(np.int8)
    key = rng.random(H) < pp.key_village_household_share
    size = (1 + rng.poisson(pp.household_size - 1, H)).astype(np.int64)
    persons = _persons(P, size, rng)
    cohort = _choose(rng, pp.cohort_share, H).astype(np.int8)
    full = np.bincount(persons.hh, weights=persons.ability == 2, minlength=H)
    alleviated = _alleviated(cohort, size / np.maximum(full, 1), pp, rng)
    monitored = rng.random(H) < pp.monitored_share
    no_full = full == 0
    w = np.where(no_full, pp.dibao_no_labour_weight, 1.0)
    dibao = rng.random(H) < np.minimum(1.0, pp.dibao_share * w * H / w.sum())
    crop = _choose(rng, pp.crop_share, H).astype(np.int8)
    business = rng.random(H) < pp.business_share
    hh = Households(
        county=county, village=_place(county, key, villages, rng),
        cohort=cohort,
        self_initiated=rng.random(H) < pp.self_initiated_share, alleviated=alleviated,
        monitoring=np.where(monitored, np.where(alleviated, UNSTABLE, EDGE), NOT_MONITORED).astype(np.int8),
        dibao=dibao,
        insured=alleviated | monitored | (rng.random(H) < P.transfers.health_insurance.voluntary_takeup),
        land=pp.land_per_person * size, rents_out=rng.random(H) < pp.land_rented_out_share, crop=crop,
        cattle=_herd(rng, pp.cattle_share, pp.cattle_herd, H),
        sheep=_herd(rng, pp.sheep_share, pp.sheep_flock, H),
        business=business, business_factor=_mean_one_lognormal(rng, P.industry.business.profit_sigma, H),
        coop_member=rng.random(H) < pp.cooperative_member_share, size=size,
        last_income=np.zeros(H), assessed_income=np.zeros(H))
    return Population(households=hh, persons=persons, villages=villages,
                      scale=H / float(pp.zhongwei_households))

