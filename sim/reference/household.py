"""The reference's household: one Mesa agent holding its members and its own state (ODD §2.2, §7).

Its monthly methods run in the model's order (ODD §3): ``step`` (illness, job losses, who
searches), ``weigh_options`` (logit utilities), the providers' recruitment (``providers``),
``go_away``, ``advance`` (wages, industry, transfers: ``income``); its yearly methods run in
January (demography, livestock, businesses, insurance) and December (the review, ODD §7.6).
"""
from __future__ import annotations

import math

import mesa

from sim.population import EDGE, NOT_MONITORED, SUDDEN, UNSTABLE

from . import income
from .accounts import COMPONENTS
from .members import (ABILITY_FULL, ABILITY_KEYS, ABILITY_NONE, ABILITY_WEAK, AWAY, FINITE_JOBS,
                      POST, death_probability, illness_probability, is_mother_age, labour_ability,
                      logaddexp, logistic, market_wage, newborn, personal_wage_factor, season_share,
                      separation_hazard, stays_in_school, takes_part)


class Search:
    """One member's search this month: their logit utilities and whether a provider hired them."""

    __slots__ = ("household", "member", "home", "away", "finite", "hired")

    def __init__(self, household, member, home, away, finite):
        self.household, self.member, self.home, self.away = household, member, home, away
        self.finite, self.hired = finite, False


class Household(mesa.Agent):
    """A migrant household: its members and its own state, as ODD §2.2 lists it.

    Money in yuan, land in mu, livestock in head. ``income`` holds this month's four components;
    ``year_income``, ``year_dibao`` and ``year_out_of_pocket`` are this year's sums.
    """

    STATE = ("county", "village", "cohort", "self_initiated", "alleviated", "monitoring", "dibao",
             "insured", "land", "rents_out", "crop", "cattle", "sheep", "business",
             "business_factor", "coop_member", "last_income", "assessed_income")

    def __init__(self, model, members, **state):
        super().__init__(model)
        self.members = members
        for name in self.STATE:
            setattr(self, name, state[name])
        self.searching, self.searches = [], []
        self.income = dict.fromkeys(COMPONENTS, 0.0)
        self.start_year()

    @property
    def size(self):
        return len(self.members)

    @property
    def alive(self):
        return self.size > 0

    @property
    def monitored(self):
        return self.monitoring != NOT_MONITORED

    def start_year(self):
        """Reset the year-to-date sums of the household and its members (January)."""
        self.year_income = self.year_dibao = self.year_out_of_pocket = 0.0
        for m in self.members:
            m.residual_ytd, m.months_employed = 0.0, 0

    # -- before the job market (ODD §7.2, §7.3 steps 1-2) --------------------------------------
    def step(self):
        """The month before the job market: illness, job losses, separations, who searches."""
        P = self.model.P
        self.income = dict.fromkeys(COMPONENTS, 0.0)
        self.searching = []
        for m in self.members:
            self.fall_ill(m, P)
            if m.employed and self.random.random() < separation_hazard(m.job, P.labour):
                m.quit()
            if self.searches_work(m, P.labour):
                self.searching.append(m)

    def fall_ill(self, m, P):
        """An inpatient episode (``shocks.illness``): lognormal cost (yuan); the sick may lose
        their job with ``shocks.illness.job_loss``."""
        I = P.shocks.illness
        m.sick = self.random.random() < illness_probability(m.age, m.chronic, P)
        m.cost = I.cost_median * math.exp(I.cost_sigma * self.random.gauss(0.0, 1.0)) if m.sick else 0.0
        if m.sick and m.employed and self.random.random() < I.job_loss:
            m.quit()

    def searches_work(self, m, L):
        """Idle, not in hospital, taking part, and searching this month (``labour.search_probability``)."""
        if m.employed or m.sick or not takes_part(m, L):
            return False
        return self.random.random() < L.search_probability[ABILITY_KEYS[m.ability]]

    def weigh_options(self):
        """Each searcher weighs the options (after every household's separations, so the village
        shares working away are this month's)."""
        self.searches = [self.search(m, self.model.P) for m in self.searching]

    def search(self, m, P):
        """Logit utilities of staying home, going away and each finite job (log wages, yuan/month).

        Work away is valued at its season's share of the year and raised by the village's share
        working away (network effect); weak labour cannot go away. Jobs near home carry
        ``labour.choice.home_preference`` (ODD §7.3 step 3).
        """
        L, C, wi = P.labour, P.labour.choice, self.model.wage_index
        beta, factor = C.wage_sensitivity, personal_wage_factor(m, L)
        home = beta * math.log(L.reservation_wage * wi)
        away = -math.inf if m.ability == ABILITY_WEAK else (
            beta * math.log(L.wage.away * wi * factor * season_share(L))
            + C.network_effect * self.model.away_share[self.village])
        finite = {job: beta * math.log(market_wage(job, L, wi) * (1.0 if job == POST else factor))
                  + C.home_preference for job in FINITE_JOBS}
        return Search(self, m, home, away, finite)

    # -- matching (ODD §7.3 steps 4-5) -----------------------------------------------------------
    def accepts(self, s, job):
        """Take the job offered rather than the best of going away or staying home (binary logit)."""
        return self.random.random() < logistic(s.finite[job] - logaddexp(s.home, s.away))

    def go_away(self):
        """Searchers not hired choose away or home by logit; those going away find work with
        ``labour.match_probability_away``, raised by a village broker (seed 004 实施方案 §二(二)2),
        by training and by organised transfer employment (seed 004 实施方案 §二(二)1)."""
        L = self.model.P.labour
        broker = self.model.brokers[self.village].active
        organised = 1.0 + L.organised_transfer * L.organised_transfer_gain
        for s in self.searches:
            if s.hired or self.random.random() >= logistic(s.away - s.home):
                continue
            chance = L.match_probability_away * organised * (L.broker_effect if broker else 1.0) * (
                L.skill_match_effect if s.member.trained else 1.0)
            if self.random.random() < min(chance, 1.0):
                s.member.take(AWAY)

    # -- after matching --------------------------------------------------------------------------
    def advance(self):
        """The month after matching: wages, industry, transfers; adds to the year's income."""
        P, month = self.model.P, self.model.date.month
        income.earn_wages(self, P.labour, month)
        income.run_industry(self, P, month)
        income.receive_transfers(self, P, month)
        self.year_income += income.months_income(self)

    # -- January (ODD §7.1, §7.4, §7.5) ----------------------------------------------------------
    def grow_older(self, P):
        """Birthdays and school transitions."""
        for m in self.members:
            m.age += 1
            m.student = stays_in_school(m.age, m.student, P.population, self.random.random)

    def deaths_and_births(self, P, birth_chance):
        """Deaths by age, births to women 20-44 who survive, then labour ability, a main earner
        and jobs that no longer fit; a household left without members is dissolved."""
        survivors, born = [], []
        for m in self.members:
            dies = self.random.random() < death_probability(m.age, P)
            gives_birth = is_mother_age(m) and self.random.random() < birth_chance
            if not dies:
                survivors.append(m)
                if gives_birth:
                    born.append(newborn(P.population, self.random))
        self.members = survivors + born
        for m in self.members:
            m.ability = labour_ability(m.age, m.student, m.disabled, m.chronic, P.labour)
            if m.ability == ABILITY_NONE or (m.ability == ABILITY_WEAK and m.job == AWAY):
                m.quit()
        self.choose_main_earner()
        if not self.members:
            self.land = self.cattle = self.sheep = 0.0
            self.business = self.coop_member = self.rents_out = self.dibao = False

    def choose_main_earner(self):
        """With full labour but no main earner (attachment 0), one full member at random becomes
        it: households send at least one member to work (seed 004 实施意见 §二(三))."""
        full = [m for m in self.members if m.ability == ABILITY_FULL]
        if full and not any(m.attachment == 0.0 for m in full):
            self.random.choice(full).attachment = 0.0

    def adopt_livestock(self, P, peers):
        """Yearly entry to and exit from cattle (with the village's share as peer effect and the
        leading-industry lever) and sheep (``industry.cattle.*``, ``industry.sheep.*``)."""
        pp, c, s, rand = P.population, P.industry.cattle, P.industry.sheep, self.random.random
        chance = c.adoption + c.peer_effect * peers + P.industry.leading_industry * P.industry.leading_industry_gain
        start = self.alive and self.cattle == 0 and rand() < min(chance, 1.0)
        if self.cattle > 0 and rand() < c.exit:
            self.cattle = 0.0
        if start:
            self.cattle = float(1 + poisson(pp.cattle_herd - 1, rand))
        start = self.alive and self.sheep == 0 and rand() < s.adoption
        if self.sheep > 0 and rand() < s.exit:
            self.sheep = 0.0
        if start:
            self.sheep = float(1 + poisson(pp.sheep_flock - 1, rand))

    def close_business(self, P):
        """A small business closes with ``industry.business.exit`` a year."""
        if self.business and self.random.random() < P.industry.business.exit:
            self.business = False

    def open_business(self, P):
        """Start a business funded by a guarantee loan (seed 004 实施方案 §二(二)1), with a profit
        factor of mean one (lognormal, ``industry.business.profit_sigma``)."""
        sigma = P.industry.business.profit_sigma
        self.business, self.business_factor = True, self.random.lognormvariate(-sigma ** 2 / 2, sigma)

    def enrol(self, P):
        """乡村振兴健康保 each January: alleviated and monitored households (county-subsidised, seed
        004 健康保通知 §三), others by choice with ``transfers.health_insurance.voluntary_takeup``."""
        self.insured = (self.alleviated or self.monitored
                        or self.random.random() < P.transfers.health_insurance.voluntary_takeup)

    # -- December (ODD §7.6) ---------------------------------------------------------------------
    def review(self, P):
        """December review (seed 001 名词解释 2-3; seed 004 实施意见 §二(一)): monitoring status,
        dibao eligibility and take-up, insurance, and the incomes next year's dibao is based on."""
        M, size = P.monitoring, self.size
        per_capita = self.year_income / size if size else math.inf
        line = self.model.monitoring_line(P)
        below = per_capita < line
        hardship = size > 0 and self.year_out_of_pocket > M.hardship_share * max(self.year_income, 0.0)
        if self.monitoring == NOT_MONITORED and (below or hardship):
            self.monitoring = (UNSTABLE if self.alleviated else EDGE) if below else SUDDEN
        elif self.monitored and per_capita > line * M.exit_factor and not hardship:
            self.monitoring = NOT_MONITORED
        assessed = (self.year_income - self.year_dibao) / size if size else math.inf
        eligible = assessed < P.transfers.dibao.standard
        self.dibao = eligible and (self.dibao or self.random.random() < P.transfers.dibao.takeup)
        self.insured = self.insured or self.alleviated or self.monitored
        self.last_income = per_capita if size else 0.0
        self.assessed_income = assessed if size else 0.0


def poisson(lam, random):
    """A Poisson draw with mean ``lam`` (Knuth's product method; fine for small means)."""
    limit, k, product = math.exp(-lam), 0, random()
    while product > limit:
        k += 1
        product *= random()
    return k
