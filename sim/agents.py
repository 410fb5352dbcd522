"""Meso-level Mesa agents: the employers, programmes and organisations households deal with.

Households themselves are rows of arrays (``sim.population``); these agents hold the finite
things households compete for (vacancies, posts) and pay what organisations pay (dividends).
They serve the fast engine (``sim.model``) only: the per-household reference (``sim.reference``)
has its own providers and hiring rule, written from docs/ODD.md, so that the two can disagree.
"""
from __future__ import annotations

import mesa
import numpy as np


class JobProvider(mesa.Agent):
    """An employer or programme with a fixed number of jobs, filled by matching.

    Parameters
    ----------
    model : mesa.Model
    kind : str
        The job kind it offers (a name in ``sim.submodels.labour.JOBS``).
    county : int
        County index whose residents may apply, or -1 for all counties.
    size_parameter : str
        Path of the parameter giving the number of jobs at Zhongwei scale (or per household).
    share : float
        This provider's share of that number (several workshops split one figure).
    name : tuple of str
        (Chinese, English) name.
    """

    def __init__(self, model, *, kind, county, size_parameter, share=1.0, name=("", "")):
        super().__init__(model)
        self.kind, self.county, self.size_parameter, self.share = kind, county, size_parameter, share
        self.name = name
        self.capacity = 0

    def set_capacity(self, jobs):
        """Set the number of jobs (whole jobs, at the simulated population's scale)."""
        self.capacity = int(round(jobs * self.share))

    def hire(self, applicants, priority, filled):
        """Choose whom to hire among ``applicants``.

        Monitored households and others with ``priority`` come first (seed 004 实施方案 §二(二)1:
        符合条件的优先安置); within a priority level the order is random. Jobs already ``filled``
        are not offered again: when capacity falls, jobs shrink by attrition, not lay-offs.

        Returns
        -------
        numpy.ndarray
            The hired subset of ``applicants`` (a set: its order means nothing).
        """
        free = self.capacity - filled
        if free <= 0 or len(applicants) == 0:
            return applicants[:0]
        order = self.model.rng.permutation(len(applicants))
        if len(applicants) > free:  # otherwise all are hired, whatever the order
            order = order[np.argsort(-np.asarray(priority)[order], kind="stable")][:free]
        return np.asarray(applicants)[order]


class Employer(JobProvider):
    """Near-home employers of one county (city and county firms, farms, dairies)."""


class Workshop(JobProvider):
    """An employment workshop in a migrant village (就业帮扶车间, seed 004 实施方案 §二(二)1)."""


class IndustrialPark(JobProvider):
    """The firms of 海兴工业园区 hiring migrants (seed 004 实施方案 §二(二)1)."""


class PublicPostProgramme(JobProvider):
    """Rural public posts (乡村公益性岗位, seed 004 实施方案 §二(二)1), paid from public funds."""


class LabourBroker(mesa.Agent):
    """A village labour agency and broker (劳务经纪人, seed 004 实施方案 §二(二)2).

    An active broker raises the chance that the village's searchers find work away
    (``labour.broker_effect``).
    """

    def __init__(self, model, *, village, rank):
        super().__init__(model)
        self.village, self.rank, self.active = village, rank, False

    def update(self, coverage):
        """Villages gain brokers in a fixed random order as coverage rises."""
        self.active = self.rank < coverage


class Cooperative(mesa.Agent):
    """Cooperatives and leading firms of a county paying dividends to member households."""

    def __init__(self, model, *, county):
        super().__init__(model)
        self.county = county

    def dividend(self, P):
        """Yearly dividend per member household (yuan)."""
        return P.industry.cooperative_dividend


class VillageCollective(mesa.Agent):
    """The collective economy of a key village (村集体经济, seed 004 实施方案 §二(一)3)."""

    def __init__(self, model, *, village, households):
        super().__init__(model)
        self.village, self.households = village, households

    def payout_per_household(self, P):
        """Yearly payout per household of the village (yuan).

        ``households`` is the number of real households the village's simulated ones stand for,
        so the payout does not depend on how many households are simulated.
        """
        if self.households == 0:
            return 0.0
        c = P.industry.collective
        return c.income_per_village * c.payout_share / self.households


def create_meso_agents(model, population):
    """Create every meso agent for ``population``; returns them by kind."""
    villages = population.villages
    providers = [Employer(model, kind="local", county=c, size_parameter="labour.local_jobs_per_household",
                          name=("就近就业单位", "Near-home employers")) for c in range(3)]
    # The workshops of 中宁县兴源村、红梧村 and 沙坡头区海乐村 share the 100 jobs equally.
    providers += [Workshop(model, kind="workshop", county=c, size_parameter="labour.workshop_jobs",
                           share=1 / 3, name=(zh, en))
                  for c, zh, en in ((1, "兴源村帮扶车间", "Xingyuan workshop"),
                                    (1, "红梧村帮扶车间", "Hongwu workshop"),
                                    (0, "海乐村帮扶车间", "Haile workshop"))]
    providers += [IndustrialPark(model, kind="park", county=-1, size_parameter="labour.park_jobs",
                                 name=("海兴工业园区", "Haixing industrial park")),
                  PublicPostProgramme(model, kind="public_post", county=-1, size_parameter="labour.public_posts",
                                      name=("乡村公益性岗位", "Rural public posts"))]
    brokers = [LabourBroker(model, village=v, rank=r) for v, r in enumerate(villages.broker_rank)]
    coops = [Cooperative(model, county=c) for c in range(3)]
    counts = np.bincount(population.households.village, minlength=len(villages.key))
    collectives = [VillageCollective(model, village=v, households=counts[v] / population.scale)
                   for v in np.flatnonzero(villages.key)]
    return providers, brokers, coops, collectives
