"""Targets on small hand-made tables whose answers can be checked by hand, and bad run directories."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim import __version__, targets
from sim.errors import InputError

from conftest import BASELINE, ROOT

YEARS = range(2021, 2026)


def _inputs(P, migrant, alleviated=None, operating=None, stable=None, below=None, comparators=None):
    """Inputs for R replications: ``migrant`` is R x 5 (2021-2025) per-capita income."""
    migrant = np.asarray(migrant, float)
    R = len(migrant)
    alleviated = migrant if alleviated is None else np.asarray(alleviated, float)
    operating = 0.2 * migrant if operating is None else np.asarray(operating, float)
    cols, data = [], []
    for j, y in enumerate(YEARS):
        for key, values in ((("all", "all", "disposable"), migrant), (("all", "all", "operating"), operating),
                            (("alleviated", "yes", "disposable"), alleviated)):
            cols.append((*key, y))
            data.append(values[:, j])
    income = pd.DataFrame(np.array(data).T, columns=pd.MultiIndex.from_tuples(cols))
    stable = np.full((R, 5), 0.99) if stable is None else np.asarray(stable, float)
    below = np.full((R, 5), 0.05) if below is None else np.asarray(below, float)
    hcols, hdata = [], []
    for j, y in enumerate(YEARS):
        hcols += [("labour_households_with_stable_job_or_industry_share", y), ("below_monitoring_line_share", y)]
        hdata += [stable[:, j], below[:, j]]
    households = pd.DataFrame(np.array(hdata).T, columns=pd.MultiIndex.from_tuples(hcols))
    comps = {k: pd.DataFrame(np.broadcast_to(np.asarray(v, float), (R, 5)), columns=list(YEARS))
             for k, v in (comparators or {}).items()}
    return targets.Inputs(income, households, comps, P)


def test_t1_probability_is_the_share_of_replications_reaching_12_percent(P2021):
    x = _inputs(P2021, [[100, 112, 0, 0, 1], [100, 111.9, 0, 0, 1], [100, 130, 0, 0, 1], [100, 100, 0, 0, 1]])
    t = targets.t1(x)
    assert list(t.met) == [True, False, True, False]
    assert t.probability == 0.5 and t.mc_error == pytest.approx(np.sqrt(0.25 / 4))
    assert t.values == pytest.approx([0.12, 0.119, 0.30, 0.0])


def test_t2_compares_with_zhongwei_rural_growth(P2021):
    x = _inputs(P2021, [[100, 111, 1, 1, 1], [100, 109, 1, 1, 1]],
                comparators={"zhongwei_rural": [100, 110, 1, 1, 1]})
    t = targets.t2(x)
    assert list(t.met) == [True, False] and t.values == pytest.approx([0.01, -0.01])


def test_t3_needs_both_higher_thans(P2021):
    migrant = [[100, 1, 1, 1, 150]] * 3
    x = _inputs(P2021, migrant, alleviated=[[100, 1, 1, 1, 160], [100, 1, 1, 1, 140], [100, 1, 1, 1, 160]],
                comparators={"zhongwei_rural": [100, 1, 1, 1, 150], "zhongwei_urban": [100, 1, 1, 1, 140]})
    t = targets.t3(x)
    assert list(t.met) == [True, False, True]
    x.comparators["zhongwei_urban"].loc[:, 2025] = 155  # urban now grows faster than rural
    assert not targets.t3(x).met.any()


def test_t4_needs_catch_up_and_faster_growth_every_year(P2021):
    rural = [100, 110, 121, 133.1, 146.41]
    x = _inputs(P2021, [[90, 100, 112, 126, 142], [90, 100, 109, 126, 142], [60, 70, 80, 90, 100]],
                comparators={"ningxia_rural": rural})
    t = targets.t4(x)
    assert t.values == pytest.approx([142 / 146.41, 142 / 146.41, 100 / 146.41])
    assert list(t.met) == [True, False, False]  # the second grows slower than rural in 2023


def test_t5_t6_t7(P2021):
    x = _inputs(P2021, [[100] * 5, [100] * 5], operating=[[40] * 5, [39] * 5],
                stable=[[0.9, 0.99, 0.98, 0.99, 0.99], [0.99, 0.99, 0.97, 0.99, 0.99]],
                below=[[0.10, 0.105, 0.11, 0.09, 0.08], [0.10, 0.10, 0.12, 0.09, 0.08]])
    assert list(targets.t5(x).met) == [True, False]
    assert list(targets.t6(x).met) == [True, False]  # 2021 does not count; 0.97 in 2023 does
    t7 = targets.t7(x)
    assert t7.values == pytest.approx([0.01, 0.02]) and list(t7.met) == [True, False]


def test_results_frame_and_summary(P2021):
    x = _inputs(P2021, [[100, 112, 120, 130, 140]] * 4,
                comparators={"zhongwei_rural": [100, 110, 121, 133, 146], "zhongwei_urban": [100, 108, 116, 125, 135],
                             "ningxia_rural": [150, 165, 181, 199, 219]})
    res = targets.TargetResults([f(x) for f in targets.TARGETS], 4, "test")
    f = res.frame()
    assert list(f.target) == [f"T{i}" for i in range(1, 8)]
    assert f.probability.between(0, 1).all() and "两个高于" in res.summary()
    assert len(res.draws()) == 7 * 4


def _ensemble_dir(tmp_path, replications=3, version=__version__):
    d = tmp_path / "ens"
    d.mkdir()
    record = {"sim_version": version, "replications": replications, "seed": 1,
              "scenario": {"name": "t", "start": "2021-01", "overrides": {}}}
    (d / "run.json").write_text(json.dumps(record), encoding="utf-8")
    for name in ("income_yearly", "households_yearly", "fiscal_yearly"):
        pd.DataFrame({"replication": range(replications), "year": 2021}).to_csv(d / f"{name}.csv", index=False)
    return d


def test_bad_run_directories_get_clear_errors(tmp_path):
    with pytest.raises(InputError, match="not a complete ensemble"):
        targets.read_ensemble(tmp_path)
    d = _ensemble_dir(tmp_path, version="0.0.0")
    with pytest.raises(InputError, match="made by sim 0.0.0"):
        targets.read_ensemble(d)
    record = json.loads((d / "run.json").read_text())
    record["sim_version"] = __version__
    (d / "run.json").write_text(json.dumps(record))
    (d / "fiscal_yearly.csv").unlink()
    with pytest.raises(InputError, match="fiscal_yearly: table missing"):
        targets.read_ensemble(d)
    pd.DataFrame({"replication": [0, 1], "year": 2021}).to_csv(d / "fiscal_yearly.csv", index=False)
    with pytest.raises(InputError, match="2 replications, run.json says 3"):
        targets.read_ensemble(d)


def test_cli_targets_on_a_small_ensemble(tmp_path):
    run = subprocess.run([sys.executable, "-m", "sim", "run", str(BASELINE), "--replications", "3",
                          "--households", "400", "--workers", "1", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    d = next(tmp_path.glob("baseline-*"))
    r = subprocess.run([sys.executable, "-m", "sim", "targets", str(d)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(d / "targets.csv", encoding="utf-8-sig")
    assert list(table.target) == ["T1", "T2", "T2_plan", "T3", "T3_plan", "T4", "T5", "T6", "T7"] and "T4" in r.stdout
    assert list(table.comparator_reading) == ["none", "forecast", "plan", "forecast", "plan", "forecast",
                                              "none", "none", "none"]
    assert (table.as_of == 2021).all() and "data up to 2021" in r.stdout
    (tmp_path / "empty").mkdir()  # (the parent holding exactly one ensemble is used: tests/test_faults.py)
    bad = subprocess.run([sys.executable, "-m", "sim", "targets", str(tmp_path / "empty")], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "this is an empty folder; expected a finished ensemble" in bad.stderr


def test_targets_csv_is_never_silently_overwritten(tmp_path):
    from sim.runner import free_name
    (tmp_path / "targets.csv").write_text("old", encoding="utf-8")
    assert free_name(tmp_path, "targets", ".csv").name == "targets-2.csv"


def test_comparator_draws_do_not_share_a_stream_with_replications():
    ours = np.random.default_rng(np.random.SeedSequence([targets.TARGETS_TAG, 3])).random(4)
    for child in np.random.SeedSequence(3).spawn(20):
        assert not np.allclose(np.random.default_rng(child).random(4), ours)
