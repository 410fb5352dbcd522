"""Submodel rules on small hand-checkable cases."""
from types import SimpleNamespace

import numpy as np
import pytest

from sim.agents import JobProvider
from sim.population import EDGE, SUDDEN, UNSTABLE
from sim.submodels import labour, monitoring, transfers


def test_critical_illness_tiers_follow_seed_004(P2021):
    # seed 004 健康保 §二(二): 20% to 20,000, 30% to 40,000, 40% above; limit 50,000 a year
    f = transfers.critical_illness_cumulative
    assert f(np.array([10_000.0]), P2021)[0] == pytest.approx(2_000)
    assert f(np.array([30_000.0]), P2021)[0] == pytest.approx(4_000 + 3_000)
    assert f(np.array([50_000.0]), P2021)[0] == pytest.approx(4_000 + 6_000 + 4_000)
    assert f(np.array([1e6]), P2021)[0] == pytest.approx(50_000)


def test_medical_payouts_accumulate_within_the_year(P2021):
    r = P2021.shocks.illness.basic_reimbursement
    ytd = np.array([0.0])
    cost = np.array([20_000 / (1 - r)])  # residual exactly 20,000
    _, c1, oop1 = transfers.medical_payouts(cost, ytd, np.array([True]), P2021)
    _, c2, _ = transfers.medical_payouts(cost, ytd, np.array([True]), P2021)
    assert c1[0] == pytest.approx(4_000) and c2[0] == pytest.approx(6_000)  # second in the 30% tier
    assert oop1[0] == pytest.approx(16_000)
    _, c3, oop3 = transfers.medical_payouts(cost, np.array([0.0]), np.array([False]), P2021)
    assert c3[0] == 0 and oop3[0] == pytest.approx(20_000)


def test_dibao_tops_up_to_the_standard(P2021):
    h = SimpleNamespace(dibao=np.array([True, True, False]), assessed_income=np.array([3_560.0, 6_000, 0]),
                        size=np.array([3, 2, 4]))
    monthly = transfers.dibao_topup(h, P2021)
    assert monthly == pytest.approx([(4_560 - 3_560) * 3 / 12, 0, 0])


def test_premiums_split_between_households_and_county(P2021):
    h = SimpleNamespace(insured=np.array([True, True, False]), alleviated=np.array([True, False, False]),
                        monitoring=np.array([0, 0, 0]), size=np.array([2, 3, 4]))
    own, county = transfers.premiums(h, P2021)
    assert own == pytest.approx([2 * 20, 3 * 70, 0]) and county == pytest.approx([2 * 50, 0, 0])


def _households(n, **kw):
    base = dict(size=np.full(n, 2), monitoring=np.zeros(n, np.int8), alleviated=np.zeros(n, bool),
                dibao=np.zeros(n, bool), insured=np.zeros(n, bool), last_income=np.zeros(n),
                assessed_income=np.zeros(n), n=n)
    base.update(kw)
    return SimpleNamespace(**base)


def test_review_flags_low_income_and_hardship_and_releases_recovered(P2021):
    line = P2021.monitoring.line
    h = _households(4, alleviated=np.array([True, False, False, False]),
                    monitoring=np.array([0, 0, 0, EDGE], np.int8))
    income = np.array([0.5, 0.5, 3.0, 3.0]) * line * 2  # per capita 0.5, 0.5, 3, 3 times the line
    oop = np.array([0.0, 0.0, 0.9 * income[2], 0.0])
    monitoring.review(h, income, np.zeros(4), oop, line, P2021, np.random.default_rng(0))
    assert list(h.monitoring) == [UNSTABLE, EDGE, SUDDEN, 0]
    assert h.insured[:3].all() and not h.insured[3]


def test_hire_fills_free_jobs_priority_first():
    model = SimpleNamespace(rng=np.random.default_rng(0))
    a = JobProvider.__new__(JobProvider)
    a.model, a.capacity = model, 5
    hired = a.hire(np.arange(10), np.array([0, 1, 0, 1, 0, 0, 1, 0, 0, 0]), filled=2)
    assert len(hired) == 3 and set(hired) == {1, 3, 6}
    assert len(a.hire(np.arange(10), np.zeros(10), filled=5)) == 0


def test_work_away_pays_only_in_season(P2021):
    assert not labour.in_season(P2021, 1) and labour.in_season(P2021, 2)
    assert labour.in_season(P2021, 11) and not labour.in_season(P2021, 12)


def test_accept_probability_is_a_binary_logit():
    p = labour.accept_probability(np.array([2.0]), np.array([0.0]), np.array([-np.inf]))
    assert p[0] == pytest.approx(1 / (1 + np.exp(-2)))
