"""Ensembles: the same tables whatever the executor, resume after interruption, parameter draws."""
import filecmp

import numpy as np
import pandas as pd
import pytest

from sim import ensemble, uncertainties
from sim.ensemble import dask_client, run_ensemble

H, R = 600, 4


def _files(d):
    return sorted(p.name for p in d.glob("*.csv"))


def _same(a, b):
    files = _files(a)
    match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    return files and match == files


def test_executors_give_identical_tables(baseline, tmp_path):
    serial = run_ensemble(baseline, R, 9, out=tmp_path / "serial", households=H, executor="serial",
                          progress=False)
    procs = run_ensemble(baseline, R, 9, out=tmp_path / "processes", households=H, executor="processes",
                         workers=2, progress=False)
    client = dask_client("local", 2)
    try:
        dask = run_ensemble(baseline, R, 9, out=tmp_path / "dask", households=H, executor="dask",
                            client=client, progress=False)
    finally:
        client.close()
    assert _same(serial, procs) and _same(serial, dask)
    income = pd.read_csv(serial / "income_yearly.csv", encoding="utf-8-sig")
    assert sorted(income.replication.unique()) == list(range(R))


def test_interrupted_ensemble_finishes_only_the_missing_replications(baseline, tmp_path, monkeypatch):
    reference = run_ensemble(baseline, R, 5, out=tmp_path / "ref", households=H, executor="serial",
                             progress=False)
    real = ensemble.replicate
    calls = []

    def dies_after_two(task):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(task[3].index)
        return real(task)
    monkeypatch.setattr(ensemble, "replicate", dies_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_ensemble(baseline, R, 5, out=tmp_path / "run", households=H, executor="serial", progress=False)
    assert [p.name for p in (tmp_path / "run").iterdir()] == [f".{reference.name}.partial"]

    calls.clear()
    monkeypatch.setattr(ensemble, "replicate", lambda task: (calls.append(task[3].index), real(task))[1])
    resumed = run_ensemble(baseline, R, 5, out=tmp_path / "run", households=H, executor="serial", progress=False)
    assert calls == [2, 3]
    assert _same(reference, resumed)


def test_unfinished_ensemble_with_other_settings_is_not_mixed(baseline, tmp_path):
    stem = f"{baseline.name}-seed1-h{H}-r{R}"
    (tmp_path / f".{stem}.partial").mkdir()
    (tmp_path / f".{stem}.partial" / "ensemble.json").write_text("{}", encoding="utf-8")
    with pytest.raises(FileExistsError, match="other settings"):
        run_ensemble(baseline, R, 1, out=tmp_path, households=H, executor="serial", progress=False)


def test_latin_hypercube_draws_cover_each_distribution(tree):
    draws = uncertainties.sample(tree, 50, np.random.SeedSequence(0))
    assert len(draws) == 50 and set(draws.columns) == set(uncertainties.uncertain_parameters(tree))
    unc = tree["labour.wage.away"].metadata["uncertainty"]
    strata = np.floor((draws["labour.wage.away"] - unc["low"]) / (unc["high"] - unc["low"]) * 50)
    assert sorted(strata.astype(int)) == list(range(50))  # one draw per stratum


def test_draws_shift_values_or_scale_factors_and_respect_bounds(tree, baseline):
    start = baseline.start
    new = uncertainties.apply(tree, {"labour.wage.away": 3500.0, "labour.separation": 2.0,
                                     "labour.public_posts": 0.5, "transfers.dibao.takeup": 5.0}, start)
    P = new.at(start)
    assert P.labour.wage.away == 3500
    assert P.labour.separation["away"] == pytest.approx(2 * tree.at(start).labour.separation["away"])
    assert P.labour.public_posts == 250 and isinstance(P.labour.public_posts, int)
    assert P.transfers.dibao.takeup == 1.0  # clipped to its maximum


def test_a_value_draw_keeps_a_packages_change(write):
    from sim.scenario import load_scenario
    s = load_scenario(write("extends: baseline.yaml\nparameters:\n  labour.wage.away: {2021-01-01: 3300}\n"))
    new = uncertainties.apply(s.parameters, {"labour.wage.away": 3500.0}, s.start, s.base_parameters)
    assert new.at(s.start).labour.wage.away == 3500 + 300


def test_an_unreachable_dask_scheduler_fails_fast():
    import time
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="cannot reach the Dask scheduler"):
        dask_client("tcp://127.0.0.1:9", 1)  # port 9 (discard): nothing listens on loopback here
    assert time.perf_counter() - start < 30


def test_a_replication_stream_gives_the_same_run_twice_in_one_process():
    """``seed_streams`` must not advance the replication's SeedSequence (common random numbers
    in-process, e.g. ``sim design``'s evaluator, rest on it)."""
    from sim.runner import seed_streams
    stream = np.random.SeedSequence(5).spawn(3)[1]
    first = [g.random(4).tolist() for g in seed_streams(stream)]
    again = [g.random(4).tolist() for g in seed_streams(stream)]
    fresh = [np.random.default_rng(s).random(4).tolist() for s in np.random.SeedSequence(5).spawn(3)[1].spawn(2)]
    assert first == again == fresh
