"""Labour market, monthly: separations, job search, recruitment, work away, and wages.

Each month, in order (DESIGN §3):

1. Jobs end with a monthly hazard by kind (``labour.separation``); macro shocks multiply the
   hazard of market jobs (``labour.job_loss_multiplier``).
2. Non-employed persons of working age and labour ability who take part in the labour market
   (``labour.participation``) search with ``labour.search_probability`` (not while in hospital).
3. Finite jobs near home are filled first, provider by provider (near-home employers, workshops,
   the industrial park, public posts; ``sim.agents.JobProvider.hire``, monitored households and,
   for public posts, weak labour first). A searcher offered such a job accepts by a binary logit
   of the job against their best alternative: work away (full labour only, with the network
   effect of their village) or staying at home (``labour.reservation_wage``), on log wages, with a
   preference for work near home.
4. Searchers still without a job go away or stay home by the same logit, and those who go find
   work with ``labour.match_probability_away``, raised by a village broker and by training.
5. The employed earn their monthly wage; work away pays only in its season (February to November).
"""
from __future__ import annotations

import numpy as np

JOBS = ("none", "away", "local", "workshop", "park", "public_post")
JOB_LABELS = {"none": ("无工作", "No job"), "away": ("外出务工", "Work away"),
              "local": ("就近务工", "Near-home work"), "workshop": ("帮扶车间", "Workshop"),
              "park": ("园区企业", "Industrial park"), "public_post": ("公益性岗位", "Public post")}
NONE, AWAY, LOCAL, WORKSHOP, PARK, POST = range(len(JOBS))
MARKET_JOBS = (AWAY, LOCAL, WORKSHOP, PARK)
FINITE_JOBS = (LOCAL, WORKSHOP, PARK, POST)


def separation_hazard(P):
    """Monthly chance that a job ends, indexed by job kind."""
    L = P.labour
    hazard = np.array([0.0] + [L.separation[k] for k in JOBS[1:]])
    hazard[list(MARKET_JOBS)] *= L.job_loss_multiplier
    return np.minimum(hazard, 1.0)


def separate(persons, hazard, rng, employed=None):
    """End jobs at the monthly separation ``hazard`` (``separation_hazard``).

    ``employed``, if given, holds (ascending) the rows of every employed person, and perhaps
    some who no longer are; otherwise they are found in all persons.

    Returns
    -------
    rows, job : numpy.ndarray
        Rows of the persons still employed, ascending, and their job kinds.
    """
    if employed is None:
        employed = np.flatnonzero(persons.job > NONE)
    # ``take``: indexing by a small-integer array (int8 jobs here) is several times slower. Masks
    # that keep nearly all rows select by indexing, the others by ``compress``: numpy's boolean
    # indexing is fast for dense masks and several times slower than ``compress`` for mixed ones.
    job = persons.job.take(employed)
    holds = job > NONE
    employed, job = employed[holds], job[holds]
    ends = rng.random(len(employed)) < hazard.take(job)
    gone = employed.compress(ends)
    persons.job[gone] = NONE
    persons.employer[gone] = -1
    stays = ~ends
    return employed[stays], job[stays]


def in_season(P, month):
    """Whether work away pays in calendar ``month`` (1-12)."""
    s = P.labour.away_season
    return s["first_month"] <= month <= s["last_month"]


def market_wages(P, wage_index):
    """Monthly wage of a median full-ability worker by job kind (yuan); public-post pay is flat."""
    w = P.labour.wage
    return np.array([0.0, w.away * wage_index, w.local * wage_index, w.workshop * wage_index,
                     w.park * wage_index, w.public_post])


def personal_wage_factor(persons, rows, P):
    """Wage relative to the median full-ability worker: personal factor, ability and training."""
    L = P.labour
    weak = persons.ability[rows] == 1
    return (persons.wage_factor[rows] * np.where(weak, L.weak_wage_factor, 1.0)
            * np.where(persons.trained[rows], 1.0 + L.skill_premium, 1.0))


def utilities(wages, factor, weak, away_share, wage_index, P):
    """Logit utilities of staying home, going away, and each finite job, per searcher.

    The value of staying home (``labour.reservation_wage``) grows with market wages.

    Returns
    -------
    home, away : numpy.ndarray
        Per searcher; ``away`` is ``-inf`` for weak labour, who cannot work away.
    finite : numpy.ndarray
        Per searcher and finite job kind (local, workshop, park, public post).
    """
    C, L = P.labour.choice, P.labour
    s = L.away_season
    season_share = (s["last_month"] - s["first_month"] + 1) / 12
    beta = C.wage_sensitivity
    home = np.full(len(factor), beta * np.log(L.reservation_wage * wage_index))
    away = beta * np.log(wages[AWAY] * factor * season_share) + C.network_effect * away_share
    away[weak] = -np.inf
    finite = beta * np.log(np.outer(factor, wages[list(FINITE_JOBS)])) + C.home_preference
    finite[:, -1] = beta * np.log(wages[POST]) + C.home_preference
    return home, away, finite


def accept_probability(job_utility, home, away):
    """Binary logit: take the job offered rather than the best of going away or staying home."""
    alternative = np.logaddexp(home, away)
    return 1.0 / (1.0 + np.exp(alternative - job_utility))


def away_share_by_village(away, village, able):
    """Share of each village's persons with labour ability who work away.

    ``away`` holds the rows of the persons working away, ``village`` each person's village and
    ``able`` each village's persons with labour ability.
    """
    away = np.bincount(village.take(away), minlength=len(able))
    return np.divide(away, able, out=np.zeros(len(able)), where=able > 0)


def participants(persons, P):
    """Rows of persons with labour ability who take part in the labour market (``labour.participation``)."""
    takes_part = np.array([0.0, P.labour.participation["weak"], P.labour.participation["full"]])
    return np.flatnonzero(persons.attachment < takes_part.take(persons.ability))


def search_probability(P):
    """Monthly chance that an idle participant searches, indexed by labour ability."""
    return np.array([0.0, P.labour.search_probability["weak"], P.labour.search_probability["full"]])


def searchers(persons, among, sick, prob, rng):
    """Rows of persons who look for work this month: idle participants ``among``, not in hospital;
    ``prob`` is ``search_probability``."""
    idle = among.compress((persons.job.take(among) == NONE) & ~sick.take(among))
    return idle.compress(rng.random(len(idle)) < prob.take(persons.ability.take(idle)))


def away_match_probability(trained, broker, P):
    """Chance that a searcher for work away finds it this month: raised by a village broker, by
    training, and by organised transfer employment (seed 004 实施方案 §二(二)1)."""
    L = P.labour
    organised = 1.0 + L.organised_transfer * L.organised_transfer_gain
    p = L.match_probability_away * organised * np.where(broker, L.broker_effect, 1.0) * np.where(
        trained, L.skill_match_effect, 1.0)
    return np.minimum(p, 1.0)


def hiring_priority(monitored, weak, kind):
    """Monitored households first; public posts also put weak labour first."""
    return (monitored | weak if kind == POST else monitored).astype(np.int8)


def filled_jobs(persons, employed, providers):
    """Jobs held at each provider; ``employed`` holds the rows of every employed person (at least)."""
    employer = persons.employer.take(employed)
    return np.array([np.count_nonzero(employer == i) for i in range(len(providers))])


def job_counts(persons, employed):
    """Persons by job kind (``JOBS``); ``employed`` holds the rows of exactly the employed persons."""
    job = persons.job.take(employed)
    return np.array([persons.n - len(employed)] + [np.count_nonzero(job == k) for k in range(1, len(JOBS))])


def recruit(pop, rows, weak, accept, providers, filled, rng):
    """Finite providers offer their free jobs to searchers, in provider order.

    Parameters
    ----------
    rows : numpy.ndarray
        Searchers (person rows).
    weak : numpy.ndarray of bool
        Per searcher, weak labour.
    accept : numpy.ndarray
        Per searcher and finite job kind, the chance of accepting an offer.
    filled : numpy.ndarray
        Jobs held at each provider (``filled_jobs``).

    Returns
    -------
    numpy.ndarray of bool
        Per searcher, whether they were hired.
    """
    p = pop.persons
    hh = p.hh.take(rows)
    county, monitored = pop.households.county.take(hh), pop.households.monitoring.take(hh) > 0
    in_county = {c: county == c for c in {a.county for a in providers} if c != -1}
    accept_by_kind = np.ascontiguousarray(accept.T)  # a row per finite job kind: cheap gathers
    free = np.ones(len(rows), dtype=bool)  # not hired yet
    for i, a in enumerate(providers):
        k = JOBS.index(a.kind)
        candidates = free if a.county == -1 else free & in_county[a.county]
        if a.capacity <= filled[i]:
            # no free job: hire() would take no one and draw nothing, but the offers are still
            # drawn, so that the random stream is the same whatever the capacities
            rng.random(np.count_nonzero(candidates))
            continue
        pool = np.flatnonzero(candidates)
        willing = pool.compress(rng.random(len(pool)) < accept_by_kind[FINITE_JOBS.index(k)].take(pool))
        if len(willing) == 0:
            continue
        take = a.hire(willing, hiring_priority(monitored.take(willing), weak.take(willing), k), filled[i])
        hired_rows = rows.take(take)
        p.job[hired_rows], p.employer[hired_rows] = k, i
        free[take] = False
    return ~free


def go_away(persons, rows, home, away, away_chance, rng):
    """Searchers left choose away or home by logit; those going away find work with their chance."""
    goes = rng.random(len(rows)) < 1.0 / (1.0 + np.exp(home - away))
    found = goes & (rng.random(len(rows)) < away_chance)
    persons.job[rows[found]] = AWAY


def pay(persons, sick, factor, P, wage_index, month, employed=None):
    """Who is paid this month and their wage (yuan): the employed, not in hospital, in season.

    ``factor`` is every person's ``personal_wage_factor``; ``employed``, if known, the rows of the
    employed persons, ascending.

    Returns
    -------
    rows, wage : numpy.ndarray
        Person rows and their wages.
    """
    rows = np.flatnonzero(persons.job > NONE) if employed is None else employed
    rows = rows[~sick.take(rows)]  # few are in hospital: a dense mask (see ``separate``)
    job = persons.job.take(rows)
    if not in_season(P, month):
        rows, job = rows.compress(job != AWAY), job.compress(job != AWAY)
    wage = market_wages(P, wage_index).take(job) * np.where(job == POST, 1.0, factor.take(rows))
    return rows, wage


def first_places(pool, first, places):
    """The first ``places`` of ``pool`` with those where ``first`` holds moved ahead, order kept
    otherwise (what a stable sort on ``~first`` gives, without sorting)."""
    ahead = pool[first][:places]
    return np.concatenate([ahead, pool[~first][:places - len(ahead)]])


def place_in_fujian(pop, places, rng):
    """Place ``places`` idle persons of full labour in work away through Fujian-Ningxia labour
    cooperation (seed 002 第五章; seed 000 第五章§二), monitored and alleviated households first.

    Returns
    -------
    int
        Persons placed.
    """
    p, h = pop.persons, pop.households
    pool = np.flatnonzero((p.job == NONE) & (p.ability == 2))
    pool = pool[rng.permutation(len(pool))]
    hh = p.hh.take(pool)
    targeted = (h.monitoring.take(hh) > 0) | h.alleviated.take(hh)
    pool = first_places(pool, targeted, int(places))
    p.job[pool] = AWAY
    return len(pool)


def train(pop, places, rng):
    """Give ``places`` skills training places to untrained persons with labour ability.

    Monitored households come first (seed 004 实施意见 §二(一): 对有就业创业意愿和能力的监测对象,
    帮助转移就业); the rest at random.

    Returns
    -------
    int
        Places used.
    """
    p = pop.persons
    pool = np.flatnonzero((p.ability > 0) & ~p.trained)
    pool = pool[rng.permutation(len(pool))]
    monitored = pop.households.monitoring.take(p.hh.take(pool)) > 0
    pool = first_places(pool, monitored, int(places))
    p.trained[pool] = True
    return len(pool)
