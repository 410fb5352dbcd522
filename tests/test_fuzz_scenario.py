"""Fuzzed scenario files: any input either loads or fails with InputError naming file and key.

Hypothesis builds scenario documents near the valid ones (real keys and parameter paths with
wrong types, out-of-range numbers, malformed dates, unknown keys, odd YAML) and raw text and
bytes. Whatever the input, ``load_scenario`` returns a Scenario or raises ``InputErrors`` whose
every error names a file and a key; it never raises anything else and never writes a file.
The examples are derandomised and few, so the test is deterministic and fast.
"""
import datetime as dt
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import InputError, InputErrors
from sim.parameters import ParameterTree
from sim.scenario import PERIOD_KEYS, POPULATION_KEYS, TOP_KEYS, Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=120, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TREE = ParameterTree.load()
PATHS = sorted(TREE)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.dates(dt.date(1990, 1, 1), dt.date(2040, 1, 1)))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)
months = st.one_of(st.sampled_from(["2021-01", "2022-12", "2025-12", "2021-13", "2026-01", "2020-12",
                                    "21-01", "2021/01", ""]),
                   st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)), scalars)
dates = st.one_of(st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)),
                  st.sampled_from(["2022-01-01", "2022-02-30", "2022-1-1", "soon"]), scalars)


def _category_value(path):
    cats = TREE[path].categories
    if cats is None:
        return values
    return st.one_of(values, st.fixed_dictionaries({c: values for c in cats}),
                     st.fixed_dictionaries({c: st.floats(0, 1) for c in cats}))


@st.composite
def overrides(draw):
    path = draw(st.one_of(st.sampled_from(PATHS), st.text(max_size=20)))
    dated = draw(st.dictionaries(dates, _category_value(path) if path in TREE else values, max_size=3))
    form = draw(st.sampled_from(["short", "long", "raw"]))
    if form == "long":
        unit = draw(st.one_of(st.just(TREE[path].unit) if path in TREE else st.none(), st.text(max_size=8)))
        return path, draw(st.fixed_dictionaries({"unit": st.just(unit), "values": st.just(dated)},
                                                optional={"extra": values}))
    return path, dated if form == "short" else draw(values)


@st.composite
def documents(draw):
    doc = {}
    for key in draw(st.sets(st.one_of(st.sampled_from(sorted(TOP_KEYS)), st.text(max_size=10)), max_size=7)):
        if key == "period":
            doc[key] = draw(st.one_of(st.dictionaries(st.sampled_from(sorted(PERIOD_KEYS) + ["stop"]), months),
                                      values))
        elif key == "population":
            doc[key] = draw(st.one_of(st.dictionaries(st.sampled_from(sorted(POPULATION_KEYS) + ["people"]),
                                                      scalars), values))
        elif key == "parameters":
            doc[key] = dict(draw(st.lists(overrides(), max_size=4))) if draw(st.booleans()) else draw(values)
        elif key == "extends":
            doc[key] = draw(st.one_of(st.just("baseline.yaml"), st.just(["baseline.yaml", "baseline.yaml"]),
                                      st.just("scenario.yaml"), st.just("missing.yaml"), values))
        else:
            doc[key] = draw(values)
    return doc


def _snapshot(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*"))


def _loads_or_names_file_and_key(folder, data):
    file = folder / "scenario.yaml"
    file.write_bytes(data)
    before, results_before = _snapshot(folder), _snapshot(ROOT / "results")
    try:
        scenario = load_scenario(file, TREE)
    except InputErrors as e:
        assert e.errors
        for error in e.errors:
            assert isinstance(error, InputError)
            assert Path(error.file).name in ("scenario.yaml", "baseline.yaml", "missing.yaml"), error
            assert error.key and error.message, error
    else:
        assert isinstance(scenario, Scenario)
        assert all(math.isfinite(v) for vals in scenario.overrides.values() for d in vals.values()
                   for v in (d.values() if isinstance(d, dict) else [d]))
    assert _snapshot(folder) == before and _snapshot(ROOT / "results") == results_before  # nothing written


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "baseline.yaml").write_bytes((ROOT / "scenarios" / "baseline.yaml").read_bytes())
    return folder


@FUZZ
@given(doc=documents())
def test_fuzzed_scenario_documents_load_or_name_file_and_key(folder, doc):
    _loads_or_names_file_and_key(folder, yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"))


@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_fuzzed_scenario_text_and_bytes_load_or_name_file_and_key(folder, text):
    _loads_or_names_file_and_key(folder, text.encode("utf-8") if isinstance(text, str) else text)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_not_a_number_or_infinite_values_are_refused(folder, value):
    file = folder / "scenario.yaml"
    file.write_text(f"extends: baseline.yaml\nparameters:\n  labour.public_posts: {{2022-01-01: {value}}}\n")
    with pytest.raises(InputErrors, match="labour.public_posts.2022-01-01: must be a finite number"):
        load_scenario(file, TREE)
