"""Costs on hand-checkable cases; common random numbers; comparing unlike scenarios."""
import datetime as dt

import pandas as pd
import pytest

from sim import costs
from sim.compare import compare
from sim.errors import InputError
from sim.scenario import load_scenario

from conftest import ROOT


def _indicators(**kw):
    base = {"guarantee_loans_issued_yuan": 0.0, "away_workers_mean": 0.0, "fujian_placed": 0.0,
            "villages_with_cattle": 0.0, "cooperative_members_joined_total": 0.0}
    return {**base, **kw}


def test_programme_costs_by_hand(tree):
    P0 = tree.at(dt.date(2021, 1, 1))
    c = P0.costs
    villages = P0.population.key_villages + P0.population.other_villages
    got = costs.programme_costs(P0, P0, _indicators(guarantee_loans_issued_yuan=1e6, fujian_placed=50,
                                                    villages_with_cattle=10), scale=0.5)
    assert got["workshops"] == pytest.approx(100 * c.workshop_subsidy)
    assert got["brokers"] == pytest.approx(P0.labour.broker_coverage * villages * c.broker_subsidy)
    # simulated loans of 1 million at half scale are 2 million at Zhongwei scale, interest over 2 years
    assert got["loan_interest"] == pytest.approx(2e6 * c.loan_interest_subsidy * 2)
    assert got["fujian_placements"] == pytest.approx(100 * c.fujian_placement)
    assert got["cattle_parks"] == 0 and got["leading_industries"] == 0 and got["online_sales"] == 0
    assert got["collective_economy"] == 0 and got["organised_transfer"] == 0


def test_programme_costs_of_raised_levers(tree, write):
    s = load_scenario(write("extends: baseline.yaml\nparameters:\n  industry.cattle_parks: {2022-01-01: 1}\n"
                            "  industry.crops.online_share: {2022-01-01: 0.05}\n"
                            "  industry.collective.income_per_village: {2022-01-01: 82500}\n"))
    P0, P = s.parameters.at(s.start), s.parameters.at(dt.date(2022, 7, 1))
    c, villages = P.costs, P.population.key_villages + P.population.other_villages
    got = costs.programme_costs(P, P0, _indicators(villages_with_cattle=30), scale=1.0)
    assert got["cattle_parks"] == pytest.approx(30 * c.cattle_park)
    assert got["online_sales"] == pytest.approx(3 * villages * c.online_sales)  # 2% -> 5%: 3 points
    assert got["collective_economy"] == pytest.approx((82500 - 30000) * 56 * c.collective_support)


def test_a_package_identical_to_the_baseline_shows_no_difference(write, tmp_path):
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    same = load_scenario(write("extends: baseline.yaml\nname: same\n"))
    out, table = compare([base, same], 3, 4, out=tmp_path, households=400, executor="serial", progress=False)
    row = table.set_index("scenario").loc["same"]
    assert row["gain_2025_median"] == 0 and row["extra_cost_yuan"] == 0
    assert all(row[f"T{k}_vs_baseline_pp"] == 0 for k in range(1, 8))
    assert (out / "comparison.csv").is_file() and (out / "costs_by_lever.csv").is_file()
    assert len(pd.read_csv(out / "comparison_targets.csv", encoding="utf-8-sig")) == 14


def test_a_real_package_differs_and_costs_more(tmp_path):
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    pkg = load_scenario(ROOT / "scenarios" / "employment.yaml")
    _, table = compare([base, pkg], 3, 4, out=tmp_path, households=400, executor="serial", progress=False)
    row = table.set_index("scenario").loc["employment"]
    assert row["extra_cost_yuan"] > 0 and row["gain_2025_median"] != 0


def test_unlike_scenarios_are_not_compared(write):
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    short = load_scenario(write("extends: baseline.yaml\nperiod: {start: 2021-01, end: 2023-12}\n"))
    with pytest.raises(InputError, match="compare like with like"):
        compare([base, short], 2, 0, out="unused", households=100, executor="serial", progress=False)
    small = load_scenario(write("extends: baseline.yaml\npopulation: {households: 1000}\n", "small.yaml"))
    with pytest.raises(InputError, match="give --households"):
        compare([base, small], 2, 0, out="unused", executor="serial", progress=False)


def test_any_package_runs_under_a_stress():
    s = load_scenario(ROOT / "scenarios" / "employment.yaml",
                      stress=ROOT / "scenarios" / "stress" / "migrant_work_disrupted_2022.yaml")
    assert s.name == "employment+migrant_work_disrupted_2022"
    assert s.parameters.at(dt.date(2022, 6, 1)).labour.job_loss_multiplier == 2.0
    assert s.parameters.at(dt.date(2022, 6, 1)).labour.organised_transfer == 1
    assert s.parameters.at(dt.date(2023, 6, 1)).labour.job_loss_multiplier == 1.0


@pytest.mark.parametrize("name", ["employment", "industry", "subsidy", "zhongwei_2022_plan", "ningxia_2025"])
def test_packages_validate_and_change_something(name, baseline):
    s = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    assert s.overrides and s.start == baseline.start and s.end == baseline.end
