"""Target readings: T5's two readings of 产业收入 against a by-hand sum on a tiny run; T1, T4, T6."""
import numpy as np
import pandas as pd
import pytest

from sim import accounts, model, readings, targets
from sim.population import build_population

from test_targets import YEARS, _inputs

HOUSEHOLDS = 300  # tiny: the by-hand sums need every month, not statistics


@pytest.fixture(scope="module")
def tiny_run(baseline):
    """A tiny run with the wages of each paid job and each December's dividends captured by hand."""
    captured = {"wages": [], "dividends": []}
    pay, dividends = model.labour.pay, model.industry.dividends

    def pay_spy(persons, *args):
        rows, wage = pay(persons, *args)
        captured["wages"].append((persons.job[rows].copy(), wage.copy()))
        return rows, wage

    def dividends_spy(*args):
        paid = dividends(*args)
        captured["dividends"].append(paid.copy())
        return paid

    model.labour.pay, model.industry.dividends = pay_spy, dividends_spy
    try:
        rng = np.random.default_rng(11)
        pop = build_population(baseline.parameters.at(baseline.start), HOUSEHOLDS, rng)
        m = model.MigrantIncomeModel(baseline, population=pop, rng=rng)
        months = []
        while m.running:
            date, recorded = m.calendar[m.steps]  # Mesa counts the step when it starts
            before = len(captured["wages"]), len(captured["dividends"])
            m.step()
            months.append((date, recorded, before, m.population.households.size.sum()))
    finally:
        model.labour.pay, model.industry.dividends = pay, dividends
    return m.accounts.tables(), captured, months


def _by_hand(captured, months, year):
    """Industry wages and dividends of ``year`` per person, summed job by job (yuan/person/year)."""
    local = {accounts.JOBS.index(j) for j in ("local", "workshop", "park")}
    wages = dividends = 0.0
    persons = []
    for date, recorded, (w, d), size in months:
        if not recorded or date.year != year:
            continue
        job, wage = captured["wages"][w]
        wages += sum(x for j, x in zip(job, wage) if j in local)
        if date.month == 12:
            dividends += captured["dividends"][d].sum()
        persons.append(size)
    return wages / np.mean(persons), dividends / np.mean(persons)


def test_t5_readings_agree_with_a_by_hand_sum(tiny_run, P2021):
    tables, captured, months = tiny_run
    inc = tables["income_yearly"]
    income = inc.assign(replication=0).pivot_table(index="replication", values="yuan_per_person",
                                                   columns=["group", "subgroup", "component", "year"])
    hh = tables["households_yearly"].assign(replication=0)
    households = hh.pivot_table(index="replication", columns=["indicator", "year"], values="value")
    x = targets.Inputs(income, households, {}, P2021)
    for year in (2022, 2024):
        wages, dividends = _by_hand(captured, months, year)
        assert wages > 0 and dividends > 0
        total = income[("all", "all", "disposable", year)].iloc[0]
        operating = income[("all", "all", "operating", year)].iloc[0]
        assert readings.industry_share(x, year, broad=False)[0] == pytest.approx(operating / total, rel=1e-12)
        assert readings.industry_share(x, year, broad=True)[0] == pytest.approx(
            (operating + wages + dividends) / total, rel=1e-9)
    broad, narrow = readings.t5(x, broad=True), readings.t5(x, broad=False)
    assert broad.values[0] > narrow.values[0]
    assert narrow.values[0] == pytest.approx(targets.t5(x).values[0])


def test_parts_do_not_change_disposable_income(tiny_run):
    """The parts are 'of which' figures: the four components still sum to disposable income."""
    tables = tiny_run[0]
    y = tables["income_yearly"]
    assert set(y["component"]) == {*accounts.COMPONENTS, "disposable"}
    w = y[y.group == "all"].pivot_table(index="year", columns="component", values="yuan_per_person")
    parts = tables["households_yearly"].pivot_table(index="year", columns="indicator", values="value")
    assert (parts["industry_wages_per_capita"] < w["wages"]).all()
    assert (parts["dividends_per_capita"] < w["property"]).all()


def _x(P, migrant, stable=None, ningxia=None):
    x = _inputs(P, migrant, stable=stable, comparators={"ningxia_rural": ningxia or [14000] * 5})
    return x


def test_t1_level_and_growth_readings(P2021):
    # Replication 0: base 10,000, 2022 11,300: +13% but below 11,807; replication 1: base 11,000,
    # 2022 11,900: +8.2% but above the documents' level.
    x = _x(P2021, [[10000, 11300, 12000, 13000, 14000], [11000, 11900, 12000, 13000, 14000]])
    growth, level = readings.t1_growth(x), readings.t1_level(x)
    assert list(growth.met) == [True, False] and list(level.met) == [False, True]
    assert "11,807" in level.definition


def test_t4_needed_growth(P2021):
    # 0.95 * 14,641 = 13,909; from 10,000 in 2021 that needs (1.3909)^(1/4) - 1 = 8.60% a year.
    x = _x(P2021, [[10000, 10000, 10000, 10000, 14641]], ningxia=[10000, 11000, 12100, 13310, 14641])
    r = readings.t4_needed(x)
    assert r.values[0] == pytest.approx(1.3909 ** 0.25 - 1, abs=1e-4)
    assert r.met[0]  # 14,641 / 10,000 = 10% a year


def test_t6_over_thresholds(P2021):
    stable = [[0.97] * 5, [0.99, 0.95, 0.99, 0.99, 0.99]]
    x = _x(P2021, [[10000] * 5] * 2, stable=stable)
    table = readings.frame([readings.t6_at(x, th) for th in readings.T6_THRESHOLDS])
    p = dict(zip(table["reading"], table["probability"]))
    assert p["at_0.90"] == 1.0 and p["at_0.95"] == 1.0 and p["at_0.96"] == 0.5
    assert p["at_0.97"] == 0.5 and p["at_0.98"] == 0.0 and p["at_1.00"] == 0.0
    assert (table["figure_median"] == 0.96).all()


def test_every_reading_says_what_the_documents_mean(P2021):
    x = _x(P2021, [[10000] * 5])
    table = readings.frame(readings.evaluate(x))
    assert set(table["target"]) == {"T1", "T4", "T5", "T6"}
    assert table["meaning_zh"].str.len().min() > 20 and table["meaning_en"].str.contains("seed").all()
