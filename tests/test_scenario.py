"""Parameters and scenarios: loading, inheritance, resolution by date, and bad input."""
import datetime as dt
import subprocess
import sys

import pytest

from sim.errors import InputErrors
from sim.parameters import UNITS
from sim.scenario import load_scenario

from conftest import ROOT


def test_every_parameter_has_unit_labels_and_source_or_assumption(tree):
    assert len(list(tree)) > 80
    for path in tree:
        md = tree[path].metadata
        assert md["unit"] in UNITS, path
        assert md["label"]["zh"] and md["label"]["en"], path
        assert md.get("reference") or (md.get("assumption") and "uncertainty" in md), path


def test_baseline_keeps_2021_policies(baseline):
    assert baseline.name == "baseline"
    assert (baseline.start, baseline.end) == (dt.date(2021, 1, 1), dt.date(2025, 12, 1))
    assert len(baseline.months()) == 60
    for year in range(2021, 2026):
        assert baseline.parameters.at(dt.date(year, 6, 1)).transfers.dibao.standard == 4560


def test_extends_overrides_from_its_date_and_inherits_the_rest(write):
    write("extends: baseline.yaml\nname: mid\nparameters:\n  labour.public_posts: {2022-01-01: 600}\n",
          "mid.yaml")
    path = write("extends: mid.yaml\nname: top\nparameters:\n"
                 "  transfers.dibao.standard:\n    unit: currency-CNY/person/year\n"
                 "    values: {2022-01-01: 5520}\n")
    s = load_scenario(path)
    at = s.parameters.at
    assert at(dt.date(2021, 12, 1)).transfers.dibao.standard == 4560
    assert at(dt.date(2022, 1, 1)).transfers.dibao.standard == 5520
    assert at(dt.date(2021, 6, 1)).labour.public_posts == 500
    assert at(dt.date(2023, 6, 1)).labour.public_posts == 600
    assert s.chain[0].endswith("scenario.yaml") and s.chain[-1].endswith("baseline.yaml")


@pytest.mark.parametrize("text, key, words", [
    ("name: x\nparamters: {}\n", "paramters", "did you mean 'parameters'"),
    ("parameters:\n  labour.public_post: {2022-01-01: 600}\n", "parameters.labour.public_post",
     "did you mean 'labour.public_posts'"),
    ("parameters:\n  transfers.dibao.standard:\n    unit: currency-CNY/month\n    values: {2022-01-01: 460}\n",
     "parameters.transfers.dibao.standard.unit", "currency-CNY/person/year"),
    ("parameters:\n  labour.public_posts: {2022-01-01: many}\n", "parameters.labour.public_posts.2022-01-01",
     "must be a number"),
    ("parameters:\n  labour.public_posts: {2022-01-01: -5}\n", "parameters.labour.public_posts.2022-01-01",
     "outside the allowed range [0, inf]"),
    ("parameters:\n  labour.public_posts: {2022-01-01: 5.5}\n", "parameters.labour.public_posts.2022-01-01",
     "whole number"),
    ("parameters:\n  transfers.dibao.takeup: {2022-01-01: 1.2}\n", "parameters.transfers.dibao.takeup.2022-01-01",
     "[0, 1]"),
    ("parameters:\n  labour.separation: {2022-01-01: 0.1}\n", "parameters.labour.separation.2022-01-01",
     "must map each of"),
    ("parameters:\n  transfers.dibao.standard: {2027-01-01: 6000}\n",
     "parameters.transfers.dibao.standard.2027-01-01", "outside the study period"),
    ("period: {start: 2020-01}\n", "period.start", "outside the study period"),
    ("population: {households: 0}\n", "population.households", "whole number > 0"),
    ("extends: nowhere.yaml\n", "extends", "not found"),
    # found by the fuzzer: a mapping, or a name too long for the file system, raised OSError
    ("extends: {" + "a" * 300 + ": 1}\n", "extends", "must be a file name or a list of file names"),
    ("extends: " + "a" * 300 + ".yaml\n", "extends", "is not a usable file name"),
])
def test_bad_input_names_file_key_and_what_is_allowed(write, text, key, words):
    path = write(text)
    with pytest.raises(InputErrors) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message and f": {key}: " in message and words in message, message


def test_circular_extends_is_an_error(write):
    write("extends: b.yaml\n", "a.yaml")
    path = write("extends: a.yaml\n", "b.yaml")
    with pytest.raises(InputErrors, match="circular extends chain"):
        load_scenario(path)


def test_all_problems_of_a_file_are_reported_together(write):
    path = write("parameters:\n  labour.public_posts: {2022-01-01: -1}\n  transfers.dibao.takeup: {2022-01-01: 2}\n")
    with pytest.raises(InputErrors) as err:
        load_scenario(path)
    assert len(err.value.errors) == 2


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True)


def test_cli_rejects_bad_scenario_before_running_and_writes_nothing(write, tmp_path):
    path = write("parameters:\n  labour.public_posts: {2022-01-01: -3}\n")
    out = tmp_path / "results"
    r = _cli("run", str(path), "--households", "100", "--out", str(out), cwd=ROOT)
    assert r.returncode == 2
    assert "labour.public_posts" in r.stderr and str(path) in r.stderr
    assert not out.exists()


def test_cli_validate(write):
    good = write("extends: baseline.yaml\nname: ok\n", "ok.yaml")
    bad = write("parameters:\n  transfers.dibao.takeup: {2022-01-01: 1.5}\n", "bad.yaml")
    r = _cli("validate", str(good), cwd=ROOT)
    assert r.returncode == 0 and "ok" in r.stdout
    r = _cli("validate", str(good), str(bad), cwd=ROOT)
    assert r.returncode == 2 and "transfers.dibao.takeup" in r.stderr


def test_parameter_table_in_docs_is_current(tree):
    assert (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8") == tree.markdown(), \
        "regenerate with: python -m sim params > docs/parameters.md"


def test_period_must_be_whole_years(write):
    with pytest.raises(InputErrors, match="from a January to a December"):
        load_scenario(write("period: {start: 2021-03, end: 2025-12}\n"))
    s = load_scenario(write("period: {start: 2022-01, end: 2023-12}\n"))
    assert len(s.months()) == 24


def test_a_broken_parameter_file_is_named(tmp_path):
    from sim.parameters import ParameterTree
    (tmp_path / "x.yaml").write_text("description: a: b\nvalues: {2021-01-01: 1}\n", encoding="utf-8")
    with pytest.raises(InputErrors, match="x.yaml: x: not valid YAML"):
        ParameterTree.load(tmp_path)
