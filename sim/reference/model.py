"""The reference model: one Mesa agent per household, the month's order, the January set-up, December.

``ReferenceModel`` simulates the households of ``sim.population`` by the rules of docs/ODD.md,
one household agent at a time in scalar Python. It is the readable specification of the rules
and the oracle the fast engine (``sim.model``) must agree with in distribution
(``tests/test_reference.py``); it shares no code with the engine's agents, submodels or accounts.

Each month, in order (ODD §3): the January set-up (``new_year``); ``households.shuffle_do("step")``
(illness, job loss, separations, who searches); ``households.do("weigh_options")`` (logit
utilities, with this month's village shares working away); recruitment by the providers;
``households.do("go_away")``; county disasters at harvest; ``households.do("advance")`` (wages,
industry, transfers); accounting; the December indicators and review. Household draws use the
model's stdlib stream ``self.random``; price moves and county disasters use ``self.macro_rng``,
a child of the numpy stream that household draws never touch.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import mesa
from mesa.agent import AgentSet

from sim.parameters import Snapshot
from sim.population import COUNTIES, CROPS

from . import programmes
from .accounts import LEVERS, ReferenceAccounts
from .calendar import month_calendar, run_to_end
from .household import Household
from .members import ABILITY_NONE, AWAY, JOBS, Member, is_mother_age
from .providers import create_organisations, create_providers, recruit

GRAIN = CROPS.index("grain_potato")  # a household farming it has no cash crop (T6, ODD §7.6)


def households_from(model, population):
    """One :class:`Household` agent per household row of ``population``, members in row order."""
    h, p = population.households, population.persons
    members = [[] for _ in range(h.n)]
    for i in range(p.n):
        members[int(p.hh[i])].append(Member(
            age=int(p.age[i]), female=bool(p.female[i]), chronic=bool(p.chronic[i]),
            disabled=bool(p.disabled[i]), student=bool(p.student[i]), trained=bool(p.trained[i]),
            wage_factor=float(p.wage_factor[i]), attachment=float(p.attachment[i]),
            ability=int(p.ability[i]), job=int(p.job[i]), employer=int(p.employer[i])))
    return [Household(model, members[r], **{name: getattr(h, name)[r].item() for name in Household.STATE})
            for r in range(h.n)]


class ReferenceModel(mesa.Model):
    """Monthly simulation of migrant household incomes, one household agent at a time.

    Parameters
    ----------
    scenario : sim.scenario.Scenario
    population : sim.population.Population
        The households to simulate, converted row by row (not changed).
    rng : numpy.random.Generator or seed-like
        The model's random stream; ``self.random`` is seeded from it.
    burn_in : int, optional
        Months of burn-in; by default ``model.burn_in_months``.
    """

    def __init__(self, scenario, *, population, rng=None, burn_in=None):
        super().__init__(rng=rng)
        self.macro_rng = self.rng.spawn(1)[0]  # prices and disasters (ODD §4 Stochasticity)
        self.scenario, self.villages, self.scale = scenario, population.villages, population.scale
        self.household_list = households_from(self, population)
        self.households = AgentSet(self.household_list, random=self.random)
        self.providers = create_providers(self)
        self.brokers, self.coops, self.collectives = create_organisations(
            self, population.villages, self.household_list)
        self.collective_of = {c.village: c for c in self.collectives}
        months = scenario.months()
        burn = int(self.params(months[0]).model.burn_in_months if burn_in is None else burn_in)
        self.calendar = month_calendar(months, burn)
        self.wage_index, self.line_index, self.loans = 1.0, 1.0, 0.0
        self.prices = {"livestock": 1.0, "livestock_last": 1.0, "crops": 1.0}
        self.disaster = [False] * len(COUNTIES)
        self.accounts = ReferenceAccounts(JOBS)
        self.running = True

    def params(self, date):
        """Parameters in effect on ``date`` as nested namespaces; burn-in months use the start's."""
        return _attributes(self.scenario.parameters.at(max(date, self.scenario.start)))

    def monitoring_line(self, P):
        """This year's monitoring line (yuan per person a year, ODD §7.6)."""
        return P.monitoring.line * self.line_index

    def spend(self, lever, yuan):
        """Book public spending of this month (yuan) to ``lever``."""
        self.spending[lever] += yuan

    def step(self):
        """One month (ODD §3 order)."""
        self.date, recorded = self.calendar[self.steps - 1]
        self.P = P = self.params(self.date)
        self.spending = dict.fromkeys(LEVERS, 0.0)
        if self.date.month == 1 or self.steps == 1:
            self.new_year(P, trend=recorded and self.date > self.scenario.start)
        self.households.shuffle_do("step")
        self.away_share = self.away_share_by_village()
        self.households.do("weigh_options")
        recruit(self.providers, self.household_list)
        self.households.do("go_away")
        if self.date.month == P.industry.crops.harvest_month:
            self.disaster = list(self.macro_rng.random(len(COUNTIES)) < P.industry.disaster.probability)
        self.households.do("advance")
        if recorded:
            self.accounts.record_month(self.date, self.household_list, self.spending)
        if self.date.month == 12:
            self.end_year(P, recorded)
        if self.steps >= len(self.calendar):
            self.running = False

    # -- January (ODD §3 order 0) ----------------------------------------------------------------
    def new_year(self, P, trend):
        """Trends (after the start only), brokers, capacities, training, Fujian placements,
        livestock, businesses, cooperatives, insurance; then a new year of accounts."""
        if trend:
            self.age_population(P)
            self.wage_index *= 1.0 + P.labour.wage_growth
            self.line_index *= 1.0 + P.monitoring.line_growth
            self.move_prices(P)
        for b in self.brokers:
            b.update(P.labour.broker_coverage)
        self.set_capacities(P)
        trained = programmes.train(self.household_list, int(P.labour.training_places * self.scale), self.random)
        self.spend("training", trained * P.labour.training_cost)
        self.placed = programmes.place_in_fujian(
            self.household_list, round(P.labour.fujian_placements * self.scale), self.random)
        shares = self.village_share(lambda hh: hh.cattle > 0)
        for hh in self.household_list:
            hh.adopt_livestock(P, shares[hh.village])
        self.loans = programmes.start_businesses(self.household_list, P, self.scale, self.random)
        self.joined = programmes.join_cooperatives(
            self.household_list, round(P.industry.new_cooperative_members * self.scale), self.random)
        for hh in self.household_list:
            hh.enrol(P)
        self.away_months = 0
        self.accounts.start_year(self.household_list, self.villages.key)
        for hh in self.household_list:
            hh.start_year()

    def age_population(self, P):
        """A year of ageing, school, deaths and births. The chance of a birth per woman 20-44 makes
        births per person equal ``demography.births`` (Ningxia communique)."""
        self.households.do("grow_older", P)
        people = [m for hh in self.household_list for m in hh.members]
        mothers = sum(is_mother_age(m) for m in people)
        chance = min(P.demography.births * len(people) / max(mothers, 1), 1.0)
        self.households.do("deaths_and_births", P, chance)

    def move_prices(self, P):
        """Yearly log random walks of the livestock (with drift) and crop price indices."""
        c, old = P.industry.cattle, self.prices
        livestock = old["livestock"] * math.exp(c.price_drift + c.price_volatility * self.macro_rng.standard_normal())
        crops = old["crops"] * math.exp(P.industry.crops.price_volatility * self.macro_rng.standard_normal())
        self.prices = {"livestock": livestock, "livestock_last": old["livestock"], "crops": crops}

    def set_capacities(self, P):
        """Each provider's jobs this year; near-home jobs go by household rows of the county."""
        in_county = [0] * len(COUNTIES)
        for hh in self.household_list:
            in_county[hh.county] += 1
        for provider in self.providers:
            provider.set_capacity(P, in_county)

    # -- December (ODD §3 orders 6-7) ------------------------------------------------------------
    def end_year(self, P, recorded):
        """Record the year's indicators (statuses of the year, before the review); review
        households in recorded Decembers and in the last burn-in December."""
        if recorded:
            self.accounts.record_year(self.date.year, self.indicators(P))
        if recorded or self.calendar[self.steps][1]:
            self.households.do("review", P)

    def indicators(self, P):
        """Household-level outcomes of the year (ODD §7.6; shares of alive households, yuan)."""
        alive = [hh for hh in self.household_list if hh.alive]
        labour = [hh for hh in alive if any(m.ability > ABILITY_NONE for m in hh.members)]
        stable = [any(m.months_employed >= P.monitoring.stable_job_months for m in hh.members) for hh in labour]
        industry = [hh.cattle > 0 or hh.sheep > 0 or hh.business
                    or (not hh.rents_out and hh.crop != GRAIN and hh.land > 0) for hh in labour]
        line = self.monitoring_line(P)
        return {"households": len(alive),
                "below_monitoring_line_share": _mean([hh.year_income / hh.size < line for hh in alive]),
                "monitored_share": _mean([hh.monitored for hh in alive]),
                "dibao_share": _mean([hh.dibao for hh in alive]),
                "labour_households_with_stable_job_share": _mean(stable),
                "labour_households_with_stable_job_or_industry_share":
                    _mean([s or i for s, i in zip(stable, industry)]),
                "guarantee_loans_issued_yuan": self.loans,
                "away_workers_mean": self.away_months / 12.0,
                "fujian_placed": self.placed, "cooperative_members_joined": self.joined,
                "villages_with_cattle": len({hh.village for hh in self.household_list if hh.cattle > 0})}

    # -- village shares --------------------------------------------------------------------------
    def village_share(self, flag):
        """Share of each village's households (all rows) for which ``flag(household)`` holds."""
        n, k = [0] * len(self.villages.key), [0] * len(self.villages.key)
        for hh in self.household_list:
            n[hh.village] += 1
            k[hh.village] += bool(flag(hh))
        return [k[v] / n[v] if n[v] else 0.0 for v in range(len(n))]

    def away_share_by_village(self):
        """Share of each village's members with labour ability who work away."""
        able, away = [0] * len(self.villages.key), [0] * len(self.villages.key)
        for hh in self.household_list:
            for m in hh.members:
                able[hh.village] += m.ability > ABILITY_NONE
                away[hh.village] += m.job == AWAY
        return [away[v] / able[v] if able[v] else 0.0 for v in range(len(able))]

    @property
    def sizes(self):
        """Each household's persons, in row order."""
        return [hh.size for hh in self.household_list]

    @property
    def year_income(self):
        """Each household's disposable income so far this year (yuan), in row order."""
        return [hh.year_income for hh in self.household_list]


def simulate_reference(scenario, population, rng, burn_in=None):
    """Run ``scenario`` on ``population`` to its end; returns the model (tables in
    ``model.accounts.tables()``)."""
    return run_to_end(ReferenceModel(scenario, population=population, rng=rng, burn_in=burn_in))


def _mean(flags):
    """The share of true values (NaN for none, as numpy's mean of an empty array)."""
    return sum(flags) / len(flags) if flags else math.nan


def _attributes(snapshot):
    """A parameter snapshot as nested namespaces (fast attribute access); mapping values stay dicts."""
    return SimpleNamespace(**{k: _attributes(v) if isinstance(v, Snapshot) else v
                              for k, v in snapshot.items()})
