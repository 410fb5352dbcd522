"""The synthetic population against its anchors (sim/data/household_facts.csv and parameters)."""
import numpy as np
import pytest

from sim.population import COUNTIES, build_population


@pytest.fixture(scope="module")
def pop(P2021):
    return build_population(P2021, 50_000, np.random.default_rng(1))


def test_household_size_matches_anchor(pop, P2021):
    # household_facts.csv: 4.54 persons per migrant household (derived, Jingxing village)
    assert pop.summary()["household_size"] == pytest.approx(P2021.population.household_size, abs=0.05)


def test_shares_match_parameters(pop, P2021):
    h, pp = pop.households, P2021.population
    for i, c in enumerate(COUNTIES):
        assert (h.county == i).mean() == pytest.approx(pp.county_share[c], abs=0.01)
    assert h.alleviated.mean() == pytest.approx(pp.alleviated_share, abs=0.01)
    assert (h.monitoring > 0).mean() == pytest.approx(pp.monitored_share, abs=0.005)
    assert (h.cattle > 0).mean() == pytest.approx(pp.cattle_share, abs=0.01)
    assert pop.villages.key.sum() == pp.key_villages == 56


def test_persons_are_consistent(pop, P2021):
    p, h = pop.persons, pop.households
    assert np.array_equal(np.bincount(p.hh, minlength=h.n), h.size)
    assert (p.ability[p.student] == 0).all() and (p.ability[p.age < 16] == 0).all()
    assert (p.ability[p.age > 64] == 0).all()
    # every household with a full labour has exactly one main earner
    full = np.bincount(p.hh, weights=p.ability == 2, minlength=h.n) > 0
    mains = np.bincount(p.hh, weights=(p.ability == 2) & (p.attachment == 0), minlength=h.n)
    assert (mains[full] == 1).all() and (mains[~full] == 0).all()
    assert (p.job == 0).all() and (p.employer == -1).all()


@pytest.mark.parametrize("n", [1, 7, 1234])
def test_any_size_can_be_asked_for(P2021, n):
    pop = build_population(P2021, n, np.random.default_rng(0))
    assert pop.households.n == n and pop.persons.n == pop.households.size.sum()
    assert pop.scale == n / P2021.population.zhongwei_households
