"""Global sensitivity: a planted dominant parameter ranks first (toy model and the real one); bad input."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from sim import sensitivity
from sim.ensemble import run_ensemble
from sim.errors import InputError
from sim.parameters import Parameter, ParameterTree

TOY_RUNS = 200


def _toy(seed=3):
    """Six LHS inputs; y depends mostly on x3, a little on x0 and x5, plus noise."""
    X = qmc.LatinHypercube(d=6, rng=np.random.default_rng(seed)).random(TOY_RUNS)
    noise = np.random.default_rng(seed + 1).normal(0, 0.05, TOY_RUNS)
    y = 4.0 * X[:, 3] + 0.6 * X[:, 0] + 0.3 * np.sin(6 * X[:, 5]) + noise
    draws = pd.DataFrame(X, columns=[f"x{k}" for k in range(6)])
    return draws, pd.DataFrame({"T1": y})


@pytest.mark.parametrize("method", sensitivity.GIVEN_DATA)
def test_toy_model_ranks_the_planted_parameter_first(method):
    draws, figures = _toy()
    table = sensitivity.given_data(draws, figures, methods=[method])
    top = sensitivity.ranking(table, "T1", method)
    assert top.parameter.iloc[0] == "x3"
    assert top["index"].iloc[0] > 2 * top["index"].iloc[1]
    assert (table.ci_low <= table["index"]).all() and (table["index"] <= table.ci_high).all()
    assert list(table.columns) == sensitivity.COLUMNS


def test_toy_ranking_would_fail_without_the_planted_parameter():
    """The test above can fail: with x3 dropped from the model, x3 is not first."""
    draws, figures = _toy()
    figures["T1"] -= 4.0 * draws["x3"]
    top = sensitivity.ranking(sensitivity.given_data(draws, figures, methods=["delta"]), "T1")
    assert top.parameter.iloc[0] != "x3"


def test_same_seed_same_table():
    draws, figures = _toy()
    a = sensitivity.given_data(draws, figures, methods=["pawn"], seed=5)
    b = sensitivity.given_data(draws, figures, methods=["pawn"], seed=5)
    pd.testing.assert_frame_equal(a, b)


EXAGGERATED = "industry.cattle.price_drift_sd"


def _exaggerated(baseline, path, uncertainty):
    p = baseline.parameters[path]
    metadata = {**p.metadata, "uncertainty": uncertainty}
    params = dict(baseline.parameters.parameters)
    params[path] = Parameter(p.path, p.description, p.values, metadata, p.file)
    return dataclasses.replace(baseline, parameters=ParameterTree(params))


@pytest.fixture(scope="module")
def exaggerated_ensemble(baseline, tmp_path_factory):
    """The real model, 60 replications of 300 households, with wage growth made very uncertain."""
    scenario = _exaggerated(baseline, "labour.wage_growth",
                            {"distribution": "uniform", "low": -0.3, "high": 0.3, "kind": "value"})
    return run_ensemble(scenario, 60, 4, out=tmp_path_factory.mktemp("ens"), households=300,
                        executor="processes", workers=2, progress=False)


def test_real_model_ranks_an_exaggerated_parameter_first(exaggerated_ensemble):
    table = sensitivity.analyse(exaggerated_ensemble, ParameterTree.load(), methods=["delta", "rbd_fast"])
    for method in ("delta", "rbd_fast"):
        assert sensitivity.ranking(table, "T1", method).parameter.iloc[0] == "labour.wage_growth"


def test_too_few_replications_and_unfinished_ensembles_fail_clearly(exaggerated_ensemble, tmp_path):
    with pytest.raises(InputError, match="pawn needs at least 100 replications, the ensemble has 60"):
        sensitivity.analyse(exaggerated_ensemble, ParameterTree.load(), methods=["pawn"])
    unfinished = tmp_path / ".baseline-seed0-h300-r60.partial"
    unfinished.mkdir()
    with pytest.raises(InputError, match="not a complete ensemble"):
        sensitivity.analyse(unfinished, ParameterTree.load())
    assert not list(exaggerated_ensemble.glob("sensitivity*")) and list(unfinished.iterdir()) == []


def test_pawn_agrees_with_salib():
    from SALib.analyze import pawn
    draws, figures = _toy()
    X, y = draws.to_numpy(), figures["T1"].to_numpy()
    problem = {"num_vars": 6, "names": list(draws.columns), "bounds": [[0, 1]] * 6}
    ours = sensitivity.pawn_index(X, y)
    theirs = pawn.analyze(problem, X, y, S=sensitivity.PAWN_SLICES, seed=1)["median"]
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_dummy_sets_a_noise_floor_below_the_planted_parameter():
    draws, figures = _toy()
    table = sensitivity.given_data(draws, figures, methods=["delta", "rbd_fast"])
    for m in ("delta", "rbd_fast"):
        floor = sensitivity.noise_floor(table, "T1", m)
        top = sensitivity.ranking(table, "T1", m)
        assert top["index"].iloc[0] > floor and sensitivity.DUMMY not in set(top.parameter)
