"""PRIM finds a planted box; its trajectory trades coverage for density; sentences; bad input."""
import numpy as np
import pandas as pd
import pytest

from sim import discovery
from sim.errors import InputError


def _planted(n=1000, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n, 5)), columns=[f"x{k}" for k in range(5)])
    y = (X.x1 > 0.6) & (X.x3 < 0.5)
    flip = rng.random(n) < noise
    return X, np.where(flip, ~y, y)


def test_prim_finds_a_planted_box():
    X, y = _planted()
    box, trajectory = discovery.prim(X, y)
    assert sorted(box.restricted(X)) == ["x1", "x3"]
    assert box.low["x1"] == pytest.approx(0.6, abs=0.05) and box.high["x3"] == pytest.approx(0.5, abs=0.05)
    assert box.density > 0.85 and box.coverage > 0.75
    # The trajectory starts with the full box and trades coverage for density.
    assert trajectory.coverage.iloc[0] == 1.0 and trajectory.density.iloc[0] == pytest.approx(y.mean())
    assert trajectory.coverage.is_monotonic_decreasing
    assert trajectory.density.iloc[-1] > 2 * trajectory.density.iloc[0]


def test_prim_finds_no_box_where_there_is_none():
    X, _ = _planted()
    y = np.random.default_rng(9).random(len(X)) < 0.3
    box, _ = discovery.prim(X, y)
    assert box.density < 0.45  # nothing better than chance: no dense box


def test_peel_keeps_the_planted_dimensions_first():
    X, y = _planted(noise=0.0)
    lo, hi = discovery.peel(X, y)[-1]
    full_lo, full_hi = X.min().to_numpy(), X.max().to_numpy()
    moved = set(np.flatnonzero(lo > full_lo)) | set(np.flatnonzero(hi < full_hi))
    assert {1, 3} <= moved


def test_sentences_in_chinese_and_english():
    X, y = _planted()
    box, _ = discovery.prim(X, y)
    zh, en = discovery.sentences(box, X, "T1", {"x1": ("工资增长", "wage growth")})
    assert "T1" in zh and "工资增长≥0.6" in zh and f"{box.density:.0%}" in zh
    assert en.startswith(f"T1 is met in {box.density:.0%} of runs where wage growth >= 0.6")
    assert f"those runs hold {box.coverage:.0%}" in en


def test_bad_input(tmp_path):
    from sim.parameters import ParameterTree
    with pytest.raises(InputError, match="not a complete ensemble"):
        discovery.discover(tmp_path, ParameterTree.load(), "T1")
    assert list(tmp_path.iterdir()) == []
