"""`sim design`: the spec loader refuses bad specs before any run (fuzzed), and on a toy problem
with a known answer the search finds the known cheapest package, resumes after an interruption,
and says so when nothing meets the constraints."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.design import run_design, summary
from sim.design_eval import JOINT, Evaluation
from sim.design_spec import load_spec
from sim.errors import InputError
from sim.runner import free_name
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
# The toy problem: P(T1) rises linearly with public posts x from 20 to 80; P(T2) with training
# places y from 0 to 50; the cost is linear, 1,000 yuan per post and 10 per place. With
# P(T1) >= 0.5 and P(T2) >= 0.4 the cheapest package is x = 50, y = 20, costing 50,200 yuan.
X, Y = "labour.public_posts", "labour.training_places"
COST_X, COST_Y = 1000.0, 10.0


def toy(values):
    x, y = values[X], values[Y]
    p1, p2 = float(np.clip((x - 20) / 60, 0, 1)), float(np.clip(y / 50, 0, 1))
    return Evaluation(COST_X * x + COST_Y * y, COST_X * x, COST_X * x + 2 * COST_Y * y,
                      {"T1": p1, "T2": p2, JOINT: p1 * p2}, 100)


def toy_recheck(shift=0.0):
    """A re-check on 'fresh seeds': the toy's probabilities moved by ``shift``."""
    def recheck(spec, files, out, workers, progress):
        evaluations = []
        for f in files:
            s = load_scenario(f)  # the candidate file must load and extend the start package
            assert s.chain[1] == str(spec.start)
            ev = toy({p: s.parameters[p].at(lv.start) for p, lv in ((lv.path, lv) for lv in spec.levers)})
            ev.probabilities = {k: min(1.0, max(0.0, v + shift)) for k, v in ev.probabilities.items()}
            evaluations.append(ev)
        directory = free_name(Path(out), "compare-toy")
        directory.mkdir(parents=True)
        return directory, evaluations
    return recheck


def spec_file(tmp_path, **changes):
    doc = {"name": "toy", "start": os.path.relpath(SCENARIOS / "employment.yaml", tmp_path),
           "baseline": os.path.relpath(SCENARIOS / "baseline.yaml", tmp_path),
           "levers": {X: {"low": 0, "high": 100}, Y: {"low": 0, "high": 50}},
           "constraints": {"T1": 0.5, "T2": 0.4},
           "search": {"trials": 20, "replications": 2, "households": 100, "seed": 0},
           "recheck": {"replications": 2, "households": 100, "seed": 1, "candidates": 2}}
    doc.update(changes)
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_toy_finds_the_known_cheapest_package(tmp_path):
    spec = load_spec(spec_file(tmp_path))
    result = run_design(spec, tmp_path / "results", progress=False, evaluate=toy, recheck=toy_recheck())
    assert result.winner is not None
    assert (result.winner[X], result.winner[Y]) == (50, 20)
    assert result.winner.recheck_extra_cost_yuan == pytest.approx(50_200)
    design = result.directory / "design"
    for name in ("frontier.csv", "trials.csv", "recheck.csv", "winner.yaml", "summary.json",
                 "frontier_zh.png", "frontier_en.svg", "frontier_en.csv", "trials.journal"):
        assert (design / name).is_file(), name
    winner = load_scenario(design / "winner.yaml")
    assert winner.parameters[X].at(spec.levers[0].start) == 50
    assert str(SCENARIOS / "employment.yaml") in winner.chain  # it extends the start package
    assert not list((tmp_path / "results").glob(".design-*"))  # the working directory is gone
    text = summary(result)
    assert "50,200" not in text and "0.1 million" in text and "百万元" in text


def test_frontier_is_cheapest_for_each_probability(tmp_path):
    result = run_design(load_spec(spec_file(tmp_path)), tmp_path / "r", progress=False, evaluate=toy,
                        recheck=toy_recheck())
    for key in ("T1", JOINT):
        f = result.frontier[result.frontier.frontier == key].sort_values("extra_cost_yuan")
        assert f[f"P_{key}"].is_monotonic_increasing
        for _, row in f.iterrows():  # no trial is cheaper and at least as likely
            better = result.trials[(result.trials.extra_cost_yuan < row.extra_cost_yuan)
                                   & (result.trials[f"P_{key}"] >= row[f"P_{key}"])]
            assert better.empty


def test_a_winner_that_fails_the_recheck_is_not_reported(tmp_path):
    spec = load_spec(spec_file(tmp_path))
    result = run_design(spec, tmp_path / "r", progress=False, evaluate=toy, recheck=toy_recheck(-0.2))
    assert result.feasible_in_search and result.winner is None
    assert not (result.directory / "design" / "winner.yaml").exists()
    assert "did not at the re-check" in summary(result)


def test_nothing_meets_the_constraints(tmp_path):
    spec = load_spec(spec_file(tmp_path, levers={X: {"low": 0, "high": 60}, Y: {"low": 0, "high": 50}},
                               constraints={"T1": 0.9}))
    result = run_design(spec, tmp_path / "r", progress=False, evaluate=toy, recheck=toy_recheck())
    assert not result.feasible_in_search and result.winner is None
    text = summary(result)
    assert "No package meets P(T1) >= 90%" in text and "P(T1) 67%" in text


def test_an_interrupted_search_resumes_without_repeating_trials(tmp_path):
    spec = load_spec(spec_file(tmp_path))
    calls = []

    def flaky(values):
        calls.append(values)
        if len(calls) == 7:
            raise KeyboardInterrupt
        return toy(values)
    with pytest.raises(KeyboardInterrupt):
        run_design(spec, tmp_path / "r", progress=False, evaluate=flaky, recheck=toy_recheck())
    first = len(calls)
    result = run_design(spec, tmp_path / "r", progress=False, evaluate=flaky, recheck=toy_recheck())
    assert len(result.trials) == len(calls) - 1  # only the interrupted evaluation was done twice
    assert calls[first] == calls[first - 1]      # ... and it was the first one done on resume
    assert (result.winner[X], result.winner[Y]) == (50, 20)


def test_another_spec_does_not_resume_a_foreign_search(tmp_path):
    spec = load_spec(spec_file(tmp_path))
    (tmp_path / "r" / ".design-toy-seed0.partial").mkdir(parents=True)
    (tmp_path / "r" / ".design-toy-seed0.partial" / "spec.json").write_text('{"other": 1}')
    with pytest.raises(FileExistsError, match="another spec"):
        run_design(spec, tmp_path / "r", progress=False, evaluate=toy, recheck=toy_recheck())


@pytest.mark.parametrize("changes, key", [
    ({"levers": {"labour.public_postz": {"low": 0, "high": 10}}}, "levers.labour.public_postz"),
    ({"levers": {X: {"low": -5, "high": 10}}}, f"levers.{X}.low"),
    ({"levers": {"labour.broker_coverage": {"low": 0.5, "high": 1.5}}}, "levers.labour.broker_coverage.high"),
    ({"levers": {X: {"low": 0, "high": 10.5}}}, f"levers.{X}.high"),
    ({"levers": {X: {"low": 10, "high": 10}}}, f"levers.{X}"),
    ({"levers": {X: {"low": 0, "high": 10, "from": "2030-01-01"}}}, f"levers.{X}.from"),
    ({"constraints": {"T9": 0.8}}, "constraints.T9"),
    ({"constraints": {"T1": 1.0}}, "constraints.T1"),
    ({"constraints": {"T1": 0}}, "constraints.T1"),
    ({"start": "nowhere.yaml"}, "start"),
    ({"search": {"trials": 0}}, "search.trials"),
    ({"recheck": {"seed": 0}}, "recheck.seed"),
    ({"colour": "red"}, "colour"),
])
def test_bad_specs_name_file_and_key(tmp_path, tree, changes, key):
    path = spec_file(tmp_path, **changes)
    with pytest.raises(InputError) as e:
        load_spec(path, tree)
    assert e.value.key == key and e.value.file == str(path)


def test_the_example_spec_loads():
    spec = load_spec(SCENARIOS / "design" / "example.yaml")
    assert spec.levers and spec.constraints


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.text(max_size=12), st.dates())
KEYS = st.sampled_from(["name", "start", "baseline", "levers", "constraints", "search", "recheck", "label",
                        "low", "high", "from", "T1", "T2", "T9", X, "trials", "seed", "x"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) |
                      st.dictionaries(KEYS | st.text(max_size=8), inner, max_size=4), max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(KEYS, VALUES, max_size=5))
def test_fuzzed_specs_validate_or_raise_input_error(tmp_path, tree, changes):
    path = spec_file(tmp_path, **changes)
    before = sorted(p for p in tmp_path.rglob("*"))
    try:
        load_spec(path, tree)
    except InputError:
        pass
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200) | st.binary(max_size=100))
def test_fuzzed_files_validate_or_raise_input_error(tmp_path, tree, text):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    with pytest.raises(InputError):
        load_spec(path, tree)


def test_in_memory_evaluation_equals_sim_compare(tmp_path, tree):
    """The search's evaluator reads a package exactly as `sim compare` does (same CRN, same costs)."""
    from sim.compare import compare
    from sim.design_eval import Evaluator
    from sim.forecast import fit_all
    baseline, employment = (load_scenario(SCENARIOS / f, tree) for f in ("baseline.yaml", "employment.yaml"))
    forecasts = fit_all()
    with Evaluator(baseline, 2, 200, 5, forecasts=forecasts) as ev:
        mine = ev.evaluate(employment)
    _, table = compare([baseline, employment], 2, 5, out=tmp_path, households=200, executor="serial",
                       progress=False)
    row = table.set_index("scenario").loc["employment"]
    # compare reads tables and draws back from CSV (4 decimals, 6 significant digits): 1e-5 covers that
    assert mine.extra_cost == pytest.approx(row.extra_cost_yuan, rel=1e-5)
    for k in ("T1", "T2", "T7"):
        assert mine.probabilities[k] == pytest.approx(row[f"{k}_probability"])


def test_scaled_checks_its_settings(tree):
    from sim.design_spec import scaled
    spec = load_spec(SCENARIOS / "design" / "example.yaml", tree)
    assert scaled(spec, search_trials=3).search["trials"] == 3
    with pytest.raises(InputError):
        scaled(spec, search_trials=0)
    with pytest.raises(InputError):
        scaled(spec, search_colour=1)
