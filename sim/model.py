"""The Mesa model: households as arrays, meso agents as Mesa agents, a monthly schedule.

Each month, in order (DESIGN §3): demography (January), shocks, labour market, industry,
transfers, monitoring (December), accounting. A burn-in of ``model.burn_in_months`` months,
run with the start month's rules and not recorded, lets employment settle before January 2021;
demography, wage growth and price moves happen only in the Januaries after the start.
"""
from __future__ import annotations

import datetime as dt

import mesa
import numpy as np

from . import accounts as acc
from .agents import create_meso_agents
from .population import COUNTIES, CROPS
from .submodels import demography, industry, labour, monitoring, shocks, transfers

# Whether each job kind's wages count as income from industries (``accounts.INDUSTRY_JOBS``).
INDUSTRY_JOB = np.isin(np.arange(len(labour.JOBS)), acc.INDUSTRY_JOBS)


class MigrantIncomeModel(mesa.Model):
    """Monthly simulation of migrant household incomes.

    Parameters
    ----------
    scenario : sim.scenario.Scenario
    population : sim.population.Population
        The households to simulate; the model changes it in place (pass a copy to keep it).
    rng : numpy.random.Generator or seed-like
        The model's random stream (``model.rng``).
    burn_in : int, optional
        Months of burn-in; by default ``model.burn_in_months``.
    """

    def __init__(self, scenario, *, population, rng=None, burn_in=None):
        super().__init__(rng=rng)
        # Prices and disasters come from their own stream, untouched by household draws, so that
        # packages run with the same seed face the same prices and disasters (common random numbers).
        self.macro_rng = self.rng.spawn(1)[0]
        self.scenario, self.population = scenario, population
        self.providers, self.brokers, self.coops, self.collectives = create_meso_agents(self, population)
        months = scenario.months()
        burn = int(self.params(months[0]).model.burn_in_months if burn_in is None else burn_in)
        before = [add_months(months[0], -k) for k in range(burn, 0, -1)]
        self.calendar = [(d, False) for d in before] + [(d, True) for d in months]
        self.wage_index = 1.0
        self.line_index = 1.0  # the monitoring line's rise since the start
        self.prices = {"livestock": 1.0, "livestock_last": 1.0, "crops": 1.0}
        self.disaster = np.zeros(len(COUNTIES), dtype=bool)
        self.accounts = acc.Accounts()
        self._memo = {}
        self.running = True

    def memo(self, name, inputs, compute):
        """An array that depends only on ``inputs`` and on the state of persons and households.

        That state changes only in January (persons, ages, abilities, training, holdings) and in
        the December review after that month's transfers (dibao, monitoring), so such arrays are
        computed once a year, or again when their ``inputs`` (parameters) change within the year.
        """
        old = self._memo.get(name)
        if old is None or (old[0] is not inputs and old[0] != inputs):
            self._memo[name] = (inputs, compute())
        return self._memo[name][1]

    def monitoring_line(self, P):
        """This year's monitoring line (yuan per person a year)."""
        return P.monitoring.line * self.line_index

    def params(self, date):
        """Parameters in effect on ``date``; burn-in months use the start month's."""
        return self.scenario.parameters.at(max(date, self.scenario.start))

    def step(self):
        date, recorded = self.calendar[self.steps - 1]
        P = self.params(date)
        pop = self.population
        ledger = acc.Ledger(pop.households.n)
        if date.month == 1 or self.steps == 1:
            self.new_year(P, date, ledger, trend=recorded and date > self.scenario.start)
        classes = self.memo("illness", None, lambda: shocks.risk_classes(pop.persons.age, pop.persons.chronic))
        sick, ill, cost = shocks.fall_ill(classes, pop.persons.n, P, self.rng,
                                          self.memo("illness_chance", P, lambda: shocks.class_probability(P)))
        shocks.lose_job_from_illness(pop.persons, ill, P, self.rng)
        self.labour_market(P, date, sick, ledger)
        self.industry(P, date, ledger)
        self.transfers(P, date, ill, cost, ledger)
        if recorded:
            self.accounts.record_month(date, ledger, pop.households, pop.persons, self.job_counts,
                                       int(self.village_labour()[1].sum()))
        self.year_income += ledger.total()
        if date.month == 12:
            self.end_year(P, date, recorded)
        if self.steps >= len(self.calendar):
            self.running = False

    # -- yearly processes -------------------------------------------------------------------
    def new_year(self, P, date, ledger, trend):
        pop, h = self.population, self.population.households
        if trend:
            demography.age_one_year(pop, P, self.rng, labour.AWAY)
            self.wage_index *= 1.0 + P.labour.wage_growth
            self.line_index *= 1.0 + P.monitoring.line_growth
            self.prices = shocks.next_prices(self.prices, P, self.macro_rng)
        for b in self.brokers:
            b.update(P.labour.broker_coverage)
        self.set_capacities(P)
        trained = labour.train(pop, P.labour.training_places * pop.scale, self.rng)
        ledger.spend("training", trained * P.labour.training_cost)
        self.placed = labour.place_in_fujian(pop, round(P.labour.fujian_placements * pop.scale), self.rng)
        industry.adopt_livestock(h, len(pop.villages.key), P, self.rng)
        self.loans = industry.new_businesses(h, pop.scale, P, self.rng)
        self.joined = industry.join_cooperatives(h, round(P.industry.new_cooperative_members * pop.scale), self.rng)
        h.insured = transfers.enrol(h, P, self.rng)
        self.accounts.start_year(h, pop.villages)
        self.year_income = np.zeros(h.n)
        self.year_dibao = np.zeros(h.n)
        self.year_out_of_pocket = np.zeros(h.n)
        self.residual_ytd = np.zeros(pop.persons.n)
        self.months_employed = np.zeros(pop.persons.n, dtype=np.int16)
        self.away_months = 0
        self._memo.clear()  # persons, ages and training changed
        self.employed = None  # rows of the employed persons, found again

    def set_capacities(self, P):
        pop = self.population
        households_by_county = np.bincount(pop.households.county, minlength=len(COUNTIES))
        for a in self.providers:
            size = _lookup(P, a.size_parameter)
            a.set_capacity(size * households_by_county[a.county] if a.kind == "local" else size * pop.scale)

    def end_year(self, P, date, recorded):
        if recorded:
            self.accounts.record_year(date.year, self.indicators(P))
        # During burn-in only the last December reviews households: earlier reviews would judge
        # incomes of a labour market that has not settled yet.
        if recorded or self.calendar[self.steps][1]:
            monitoring.review(self.population.households, self.year_income, self.year_dibao,
                              self.year_out_of_pocket, self.monitoring_line(P), P, self.rng)

    def indicators(self, P):
        """Household-level outcomes of the year (shares of households, yuan)."""
        h, p = self.population.households, self.population.persons
        alive = h.size > 0
        per_capita = np.where(alive, self.year_income / np.maximum(h.size, 1), np.inf)
        stable = np.bincount(p.hh, weights=self.months_employed >= P.monitoring.stable_job_months,
                             minlength=h.n) > 0
        cash_crop = ~h.rents_out & (h.crop != CROPS.index("grain_potato")) & (h.land > 0)
        industry_ok = (h.cattle > 0) | (h.sheep > 0) | h.business | cash_crop
        labour_hh = np.bincount(p.hh, weights=p.ability > 0, minlength=h.n) > 0
        return {"households": alive.sum(),
                "below_monitoring_line_share": (per_capita[alive] < self.monitoring_line(P)).mean(),
                "monitored_share": (h.monitoring[alive] > 0).mean(),
                "dibao_share": h.dibao[alive].mean(),
                "labour_households_with_stable_job_share": stable[labour_hh].mean(),
                "labour_households_with_stable_job_or_industry_share": (stable | industry_ok)[labour_hh].mean(),
                "guarantee_loans_issued_yuan": self.loans,
                "away_workers_mean": self.away_months / 12.0,
                "fujian_placed": self.placed, "cooperative_members_joined": self.joined,
                "villages_with_cattle": int((np.bincount(h.village[h.cattle > 0], minlength=len(
                    self.population.villages.key)) > 0).sum())}

    # -- monthly processes ------------------------------------------------------------------
    def labour_market(self, P, date, sick, ledger):
        pop, p = self.population, self.population.persons
        # last month's employed (jobs change between months only in January and by illness)
        employed, job = labour.separate(p, self.memo("hazard", P, lambda: labour.separation_hazard(P)), self.rng,
                                        self.employed)
        among = self.memo("participants", P.labour.participation, lambda: labour.participants(p, P))
        factor = self.memo("wage_factor", (P.labour.weak_wage_factor, P.labour.skill_premium),
                           lambda: labour.personal_wage_factor(p, slice(None), P))
        rows = labour.searchers(p, among, sick, self.memo("search", P, lambda: labour.search_probability(P)),
                                self.rng)
        person_village, able = self.village_labour()
        village = person_village.take(rows)
        weak = p.ability.take(rows) == 1
        wages = self.memo("wages", (P, self.wage_index), lambda: labour.market_wages(P, self.wage_index))
        away_share = labour.away_share_by_village(employed.compress(job == labour.AWAY), person_village, able)
        home, away, finite = labour.utilities(wages, factor.take(rows), weak, away_share.take(village),
                                              self.wage_index, P)
        hired = labour.recruit(pop, rows, weak, labour.accept_probability(finite, home[:, None], away[:, None]),
                               self.providers, labour.filled_jobs(p, employed, self.providers), self.rng)
        broker = self.memo("brokers", None, lambda: np.array([b.active for b in self.brokers])).take(village)
        left = ~hired
        labour.go_away(p, rows[left], home[left], away[left],
                       labour.away_match_probability(p.trained.take(rows[left]), broker[left], P), self.rng)
        # the employed now: those still employed after separations and the searchers who found work
        employed = np.sort(np.concatenate([employed, rows.compress(p.job.take(rows) > labour.NONE)]), kind="stable")
        paid, wage = labour.pay(p, sick, factor, P, self.wage_index, date.month, employed)
        ledger.add("wages", np.bincount(p.hh.take(paid), weights=wage, minlength=pop.households.n))
        paid_job = p.job.take(paid)
        ledger.part("industry_wages", wage.compress(INDUSTRY_JOB.take(paid_job)).sum())
        ledger.spend("public_posts", wage.compress(paid_job == labour.POST).sum())
        self.months_employed += p.job > labour.NONE  # faster than an increment at the employed rows
        self.job_counts = labour.job_counts(p, employed)
        self.employed = employed
        self.away_months += int(self.job_counts[labour.AWAY])

    def industry(self, P, date, ledger):
        pop, h = self.population, self.population.households
        operating = self.memo("business", (P.industry.business, self.wage_index),
                              lambda: industry.business_income(h, P, self.wage_index))
        if date.month == P.industry.crops.harvest_month:
            self.disaster = shocks.county_disasters(P, self.macro_rng)
            operating = operating + industry.crop_income(h, self.disaster, self.prices, P)
        ledger.add("operating", operating + industry.livestock_income(h, self.prices, P, date.month))
        ledger.add("property", self.memo("rent", P.industry.land_rent, lambda: industry.land_rent(h, P)))
        if date.month == 12:
            paid = industry.dividends(h, len(pop.villages.key), self.collectives, self.coops, P)
            ledger.add("property", paid)
            ledger.part("dividends", paid.sum())

    def transfers(self, P, date, ill, cost, ledger):
        h, p = self.population.households, self.population.persons
        n = h.n
        dibao, regular, spent = self.memo("regular", (P.transfers.pension, P.transfers.dibao),
                                            lambda: self.regular_transfers(P))
        hh_ill = p.hh.take(ill)
        residual = self.residual_ytd[ill]
        basic, critical, oop = transfers.medical_payouts(
            cost, residual, h.insured.take(hh_ill), P, self.memo("tiers", P, lambda: transfers.critical_tiers(P)))
        self.residual_ytd[ill] = residual
        # medical payouts and assistance only for the households with someone in hospital
        # (sums by household over all households, then taken: cheaper than np.unique's sort)
        sick_hh = np.flatnonzero(np.bincount(hh_ill, minlength=n))
        oop_hh = np.bincount(hh_ill, weights=oop, minlength=n).take(sick_hh)
        assistance = transfers.temporary_assistance(oop_hh, P)
        received = regular.copy()
        received[sick_hh] = (regular.take(sick_hh) + assistance
                             + np.bincount(hh_ill, weights=basic + critical, minlength=n).take(sick_hh))
        ledger.spend("pensions", spent[0])
        ledger.spend("dibao", spent[1])
        ledger.spend("temporary_assistance", assistance.sum())
        if date.month == 1:
            own, county = transfers.premiums(h, P)
            received -= own
            ledger.spend("health_insurance", county.sum())
        if date.month == P.transfers.yearly_payment_month:
            farmland, cattle = transfers.farmland_subsidy(h, P), transfers.livestock_subsidy(h, P)
            contributions = np.bincount(p.hh, weights=transfers.pension_contributions(p, h, P), minlength=n)
            received += farmland + cattle - contributions
            ledger.spend("farmland_subsidy", farmland.sum())
            ledger.spend("livestock_subsidy", cattle.sum())
        ledger.add("transfers", received)
        self.year_dibao += dibao
        self.year_out_of_pocket[sick_hh] += oop_hh

    def regular_transfers(self, P):
        """Monthly dibao and dibao plus pensions by household, and the sums of pensions and dibao
        (yuan; fixed within a year)."""
        h, p = self.population.households, self.population.persons
        pension = np.bincount(p.hh, weights=transfers.pensions(p, P), minlength=h.n)
        dibao = transfers.dibao_topup(h, P)
        return dibao, pension + dibao, (pension.sum(), dibao.sum())

    def village_labour(self):
        """Each person's village and each village's persons with labour ability (fixed within a year)."""
        def compute():
            pop = self.population
            village = pop.households.village.take(pop.persons.hh)
            return village, np.bincount(village[pop.persons.ability > 0], minlength=len(pop.villages.key))
        return self.memo("village", None, compute)


def run_to_end(model):
    """Step ``model`` until it stops; returns it (tables in ``model.accounts``)."""
    while model.running:
        model.step()
    return model


def simulate(scenario, population, rng, burn_in=None):
    """Run ``scenario`` on ``population`` to its end; returns the model (tables in ``model.accounts``)."""
    return run_to_end(MigrantIncomeModel(scenario, population=population, rng=rng, burn_in=burn_in))


def add_months(date, k):
    m = date.year * 12 + date.month - 1 + k
    return dt.date(m // 12, m % 12 + 1, 1)


def _lookup(snapshot, path):
    for part in path.split("."):
        snapshot = snapshot[part]
    return snapshot
