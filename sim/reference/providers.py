"""The reference's meso agents: employers and programmes that hire, brokers, cooperatives, collectives.

Written from ODD §2.1, §7.3 (capacities, recruitment) and §7.4 (dividends, collective payouts),
one plain Mesa agent each. Hiring is scalar: a provider shuffles its willing applicants with the
model's stdlib stream and takes priority applicants first.
"""
from __future__ import annotations

import mesa

from sim.population import COUNTIES

from .members import ABILITY_WEAK, LOCAL, PARK, POST, WORKSHOP

ALL_COUNTIES = -1  # a provider open to residents of every county
# The three workshops of seed 004 实施方案 §二(二)1 split the workshop jobs equally (ODD §2.1).
WORKSHOPS = ((COUNTIES.index("zhongning"), "兴源村帮扶车间", "Xingyuan workshop"),
             (COUNTIES.index("zhongning"), "红梧村帮扶车间", "Hongwu workshop"),
             (COUNTIES.index("shapotou"), "海乐村帮扶车间", "Haile workshop"))


class JobProvider(mesa.Agent):
    """An employer or programme with a number of jobs of one kind, filled month by month.

    ``county`` is the county whose residents may apply (``ALL_COUNTIES`` for all), ``capacity``
    the jobs it has this year and ``name`` its (Chinese, English) name.
    """

    job = None  # the job kind (index into members.JOBS), set by each subclass

    def __init__(self, model, *, county, name):
        super().__init__(model)
        self.county, self.name, self.capacity = county, name, 0

    def jobs_this_year(self, P, households_in_county):
        """Jobs at the simulated population's scale (ODD §7.3 January), before rounding."""
        raise NotImplementedError

    def set_capacity(self, P, households_in_county):
        """This year's whole number of jobs (Python's rounding, as ODD §7.3 states)."""
        self.capacity = int(round(self.jobs_this_year(P, households_in_county)))

    def open_to(self, household):
        return self.county in (ALL_COUNTIES, household.county)

    def has_priority(self, household, member):
        """Monitored households come first (seed 004 实施方案 §二(二)1: 符合条件的优先安置)."""
        return household.monitored

    def hire(self, willing, held):
        """Whom of the ``willing`` searches to hire, with ``held`` of its jobs already filled.

        Only free jobs are offered (capacity that falls shrinks by attrition, not lay-offs);
        priority applicants first, in random order within each priority level.
        """
        free = self.capacity - held
        if free <= 0:
            return []
        order = list(willing)
        self.random.shuffle(order)
        order.sort(key=lambda s: not self.has_priority(s.household, s.member))  # stable sort
        return order[:free]


class Employer(JobProvider):
    """The near-home employers of one county (city and county firms, farms, dairies)."""

    job = LOCAL

    def jobs_this_year(self, P, households_in_county):
        return P.labour.local_jobs_per_household * households_in_county[self.county]


class Workshop(JobProvider):
    """An employment workshop in a migrant village (就业帮扶车间, seed 004 实施方案 §二(二)1)."""

    job = WORKSHOP

    def jobs_this_year(self, P, households_in_county):
        return P.labour.workshop_jobs * self.model.scale / len(WORKSHOPS)


class IndustrialPark(JobProvider):
    """The firms of 海兴工业园区 hiring migrants (seed 004 实施方案 §二(二)1)."""

    job = PARK

    def jobs_this_year(self, P, households_in_county):
        return P.labour.park_jobs * self.model.scale


class PublicPostProgramme(JobProvider):
    """Rural public posts (乡村公益性岗位, seed 004 实施方案 §二(二)1), paid from public funds;
    they put weak labour first too."""

    job = POST

    def jobs_this_year(self, P, households_in_county):
        return P.labour.public_posts * self.model.scale

    def has_priority(self, household, member):
        return household.monitored or member.ability == ABILITY_WEAK


class LabourBroker(mesa.Agent):
    """A village labour agency and broker (劳务经纪人, seed 004 实施方案 §二(二)2); an active one
    raises the chance that the village's searchers find work away (``labour.broker_effect``)."""

    def __init__(self, model, *, village, rank):
        super().__init__(model)
        self.village, self.rank, self.active = village, rank, False

    def update(self, coverage):
        """Villages gain brokers in a fixed random order as ``labour.broker_coverage`` rises."""
        self.active = self.rank < coverage


class Cooperative(mesa.Agent):
    """The cooperatives and leading firms of a county, paying dividends to member households."""

    def __init__(self, model, *, county):
        super().__init__(model)
        self.county = county

    def dividend(self, P):
        """Yearly dividend per member household (yuan, ``industry.cooperative_dividend``)."""
        return P.industry.cooperative_dividend


class VillageCollective(mesa.Agent):
    """The collective economy of a key village (村集体经济, seed 004 实施方案 §二(一)3).

    ``households`` is the number of real households the village's simulated ones stand for
    (placed there at creation / scale), so the payout does not depend on how many are simulated.
    """

    def __init__(self, model, *, village, households):
        super().__init__(model)
        self.village, self.households = village, households

    def payout_per_household(self, P):
        """Yearly payout per household of the village (yuan)."""
        if self.households == 0:
            return 0.0
        c = P.industry.collective
        return c.income_per_village * c.payout_share / self.households


def create_providers(model):
    """The job providers in recruitment order (ODD §7.3 step 4): employers of each county,
    workshops, the park, public posts."""
    providers = [Employer(model, county=c, name=("就近就业单位", "Near-home employers"))
                 for c in range(len(COUNTIES))]
    providers += [Workshop(model, county=c, name=(zh, en)) for c, zh, en in WORKSHOPS]
    providers += [IndustrialPark(model, county=ALL_COUNTIES, name=("海兴工业园区", "Haixing industrial park")),
                  PublicPostProgramme(model, county=ALL_COUNTIES, name=("乡村公益性岗位", "Rural public posts"))]
    return providers


def create_organisations(model, villages, households):
    """Brokers (one per village), cooperatives (one per county) and key villages' collectives.

    ``households`` are the model's household agents at creation, for the collectives' counts.
    """
    brokers = [LabourBroker(model, village=v, rank=float(r)) for v, r in enumerate(villages.broker_rank)]
    coops = [Cooperative(model, county=c) for c in range(len(COUNTIES))]
    placed = [0] * len(villages.key)
    for hh in households:
        placed[hh.village] += 1
    collectives = [VillageCollective(model, village=v, households=placed[v] / model.scale)
                   for v in range(len(villages.key)) if villages.key[v]]
    return brokers, coops, collectives


def recruit(providers, households):
    """This month's recruitment (ODD §7.3 step 4): provider by provider, the searchers of its
    counties not yet hired are willing with a fresh logit draw each, and it hires among them."""
    searches = [s for hh in households for s in hh.searches]
    held = [0] * len(providers)
    for hh in households:
        for m in hh.members:
            if m.employer >= 0:
                held[m.employer] += 1
    for i, provider in enumerate(providers):
        willing = [s for s in searches if not s.hired and provider.open_to(s.household)
                   and s.household.accepts(s, provider.job)]
        for s in provider.hire(willing, held[i]):
            s.member.take(provider.job, employer=i)
            s.hired = True
