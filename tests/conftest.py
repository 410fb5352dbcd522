import datetime as dt
from pathlib import Path

import pytest

from sim.parameters import ParameterTree
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="session")
def tree():
    return ParameterTree.load()


@pytest.fixture(scope="session")
def baseline(tree):
    return load_scenario(BASELINE, tree)


@pytest.fixture(scope="session")
def P2021(baseline):
    return baseline.parameters.at(dt.date(2021, 1, 1))


@pytest.fixture
def write(tmp_path):
    """Write a scenario file next to a copy of the baseline and return its path."""
    (tmp_path / "baseline.yaml").write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")

    def _write(text, name="scenario.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return _write
