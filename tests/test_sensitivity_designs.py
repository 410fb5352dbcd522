"""Morris and Sobol' designs: a planted dominant parameter ranks first (toy and real model); bad input refused."""
import shutil

import numpy as np
import pandas as pd
import pytest

from sim import sensitivity, sensitivity_designs as sd
from sim.cli import main
from sim.ensemble import run_ensemble
from sim.errors import InputError
from sim.parameters import Parameter, ParameterTree
from sim.scenario import load_scenario

from conftest import BASELINE

TOY = [f"x{k}" for k in range(6)]
TOY_SIZE = {"morris": 10, "sobol": 64}  # trajectories, base samples: 80 and 576 evaluations
RANKED = {"morris": ["morris"], "sobol": ["sobol_S1", "sobol_ST"]}


def _toy_figure(X, planted=True):
    """y depends mostly on x3, a little on x0 and x5; the dummy (last column) is not used."""
    noise = np.random.default_rng(9).normal(0, 0.05, len(X))
    return pd.DataFrame({"T1": (4.0 * X[:, 3] if planted else 0) + 0.6 * X[:, 0]
                         + 0.3 * np.sin(6 * X[:, 5]) + noise})


@pytest.mark.parametrize("method", sd.DESIGNS)
def test_toy_model_ranks_the_planted_parameter_first(method):
    X = sd.unit_sample(method, TOY, TOY_SIZE[method], seed=1)
    assert len(X) == sd.runs_needed(method, len(TOY), TOY_SIZE[method])
    table = sd.indices(method, TOY, X, _toy_figure(X))
    assert list(table.columns) == sensitivity.COLUMNS
    for m in RANKED[method]:
        top = sensitivity.ranking(table, "T1", m)
        assert top.parameter.iloc[0] == "x3", m
        assert top["index"].iloc[0] > 2 * top["index"].iloc[1], m
        assert top["index"].iloc[0] > sensitivity.noise_floor(table, "T1", m), m


@pytest.mark.parametrize("method", sd.DESIGNS)
def test_toy_ranking_would_fail_without_the_planted_parameter(method):
    X = sd.unit_sample(method, TOY, TOY_SIZE[method], seed=1)
    table = sd.indices(method, TOY, X, _toy_figure(X, planted=False))
    assert sensitivity.ranking(table, "T1", sd.RANKED_BY[method]).parameter.iloc[0] != "x3"


def test_designs_depend_on_their_seed_only():
    a, b = sd.unit_sample("sobol", TOY, 8, 3), sd.unit_sample("sobol", TOY, 8, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, sd.unit_sample("sobol", TOY, 8, 4))


# --------------------------------------------------------------------------- the real model

PLANTED = "labour.wage_growth"
KEPT = (PLANTED, "labour.organised_transfer_gain", "shocks.illness.probability")  # the only uncertain ones
HOUSEHOLDS = 150


def _few_uncertain(tree):
    """The parameter files with only ``KEPT`` uncertain, wage growth ~ U(-0.3, 0.3) (exaggerated)."""
    params = {}
    for path, p in tree.parameters.items():
        md = dict(p.metadata)
        if path == PLANTED:
            md["uncertainty"] = {"distribution": "uniform", "low": -0.3, "high": 0.3, "kind": "value"}
        elif path not in KEPT:
            md.pop("uncertainty", None)
        params[path] = Parameter(p.path, p.description, p.values, md, p.file)
    return ParameterTree(params)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 2-replication ensemble of the baseline (the design's DIR) and its tree."""
    tree = _few_uncertain(ParameterTree.load())
    scenario = load_scenario(BASELINE, tree)
    assert [p for p in KEPT if p in tree.parameters] == list(KEPT)
    run_dir = run_ensemble(scenario, 2, 5, out=tmp_path_factory.mktemp("design"), households=HOUSEHOLDS,
                           executor="serial", progress=False)
    return run_dir, tree


@pytest.fixture(scope="module")
def morris_run(small):
    run_dir, tree = small
    return sd.run_design(run_dir, tree, "morris", size=sd.MIN_TRAJECTORIES, workers=2, progress=False)


def test_real_model_morris_ranks_the_exaggerated_parameter_first(morris_run):
    design_dir, table = morris_run
    assert len(pd.read_csv(design_dir / "draws.csv")) == sd.runs_needed("morris", len(KEPT), sd.MIN_TRAJECTORIES)
    assert sensitivity.ranking(table, "T1", "morris").parameter.iloc[0] == PLANTED
    assert sensitivity.ranking(table, "income_2025", "morris").parameter.iloc[0] == PLANTED


def test_real_model_sobol_ranks_the_exaggerated_parameter_first(small):
    run_dir, tree = small
    _, table = sd.run_design(run_dir, tree, "sobol", size=sd.MIN_BASE_SAMPLES, workers=2, progress=False)
    assert sensitivity.ranking(table, "T1", "sobol_ST").parameter.iloc[0] == PLANTED


def test_same_indices_with_one_and_two_workers(small, morris_run, tmp_path):
    run_dir, tree = small
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    design_dir, table = sd.run_design(copy, tree, "morris", size=sd.MIN_TRAJECTORIES, workers=1, progress=False)
    assert design_dir.parent == tmp_path
    pd.testing.assert_frame_equal(table, morris_run[1])


def test_an_interrupted_design_resumes_where_it_stopped(small, morris_run, tmp_path, monkeypatch):
    from sim import ensemble
    run_dir, tree = small
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    real, calls = ensemble.replicate, []

    def interrupted(task):
        if len(calls) == 4:
            raise KeyboardInterrupt  # Ctrl-C after four runs
        calls.append(task[3].index)
        return real(task)
    monkeypatch.setattr(ensemble, "replicate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sd.run_design(copy, tree, "morris", size=sd.MIN_TRAJECTORIES, workers=1, progress=False)
    monkeypatch.setattr(ensemble, "replicate", lambda task: (calls.append(task[3].index), real(task))[1])
    _, table = sd.run_design(copy, tree, "morris", size=sd.MIN_TRAJECTORIES, workers=1, progress=False)
    assert sorted(calls) == list(range(sd.runs_needed("morris", len(KEPT), sd.MIN_TRAJECTORIES)))  # each once
    pd.testing.assert_frame_equal(table, morris_run[1])


def test_the_command_writes_the_table_once_and_the_chart(small, morris_run):
    run_dir, tree = small
    design_dir, table = morris_run
    text = sd.run_command(run_dir, tree, ["morris"], size=sd.MIN_TRAJECTORIES, workers=2)
    assert f"in {design_dir}" in text and PLANTED in text.splitlines()[2]
    again = sd.run_command(run_dir, tree, ["morris"], size=sd.MIN_TRAJECTORIES, workers=2)
    assert again == text and not (design_dir / "sensitivity-2.csv").exists()  # same command, same files
    written = pd.read_csv(design_dir / "sensitivity.csv", encoding="utf-8-sig")
    assert list(written.columns) == sensitivity.COLUMNS and set(written.method) == {"morris"}
    for lang in ("zh", "en"):
        for ext in ("png", "svg", "csv"):
            assert (design_dir / "charts" / f"sensitivity_{lang}.{ext}").stat().st_size > 0


@pytest.mark.parametrize("method, size, message", [
    ("fast99", 4, "unknown design 'fast99'"),
    ("morris", 1, "morris needs at least 2, got 1"),
    ("sobol", 2, "sobol needs at least 4, got 2"),
    ("sobol", 6, r"power of 2 \(.*\), got 6"),
    ("morris", 400, "needs 2,000 model runs, above the budget of 1,000"),
])
def test_bad_designs_are_refused_and_nothing_is_written(small, method, size, message):
    run_dir, tree = small
    before = sorted(p.name for p in run_dir.parent.iterdir())
    with pytest.raises(InputError, match=message):
        sd.run_design(run_dir, tree, method, size=size, progress=False)
    assert sorted(p.name for p in run_dir.parent.iterdir()) == before


def test_mixed_methods_a_design_directory_and_a_bad_option_are_refused(small, morris_run, capsys):
    run_dir, tree = small
    with pytest.raises(InputError, match="ask for it alone"):
        sd.run_command(run_dir, tree, ["delta", "morris"])
    with pytest.raises(InputError, match="a morris design, not Latin hypercube draws"):
        sensitivity.analyse(morris_run[0], tree, methods=["delta"])
    before = sorted(p.name for p in run_dir.parent.iterdir())
    assert main(["sensitivity", str(run_dir), "--method", "sobol", "--base-samples", "6"]) == 2
    assert "power of 2" in capsys.readouterr().err
    assert sorted(p.name for p in run_dir.parent.iterdir()) == before


def test_unbounded_priors_map_to_finite_values(tree):
    """Morris's grid reaches quantiles 0 and 1; a normal prior is held inside QUANTILE_EDGE."""
    normal = [p for p in tree if (tree[p].metadata.get("uncertainty") or {}).get("distribution") == "normal"]
    assert normal
    X = sd.unit_sample("morris", normal, 4, 0)
    assert X.min() == 0 and X.max() == 1
    u = np.clip(X[:, :len(normal)], sd.QUANTILE_EDGE, 1 - sd.QUANTILE_EDGE)
    draws = sd.uncertainties.from_quantiles(tree, normal, u).to_numpy()
    assert draws.shape == (len(X), len(normal)) and np.isfinite(draws).all()
