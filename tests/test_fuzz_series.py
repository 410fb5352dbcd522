"""Fuzzed income series files: any input either loads or fails with InputError naming file and key.

Hypothesis builds CSV files near the shipped ``sim/data/income_series.csv`` (its columns, some
dropped, renamed or added; cells replaced by text, blanks, negatives, NaN, duplicates) and raw
text and bytes, and reads them with the public ``sim.forecast.load_series``. It must return a
table or raise ``InputError`` naming the file and a column, row or key; never anything else, and
never write a file. Derandomised, few examples: deterministic and fast.
"""
import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import InputError, InputErrors
from sim.forecast import load_series

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "sim" / "data" / "income_series.csv"
FUZZ = settings(max_examples=120, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
with open(SHIPPED, encoding="utf-8", newline="") as fh:
    HEADER, *ROWS = list(csv.reader(fh))

cells = st.one_of(st.sampled_from(["", "nan", "-1", "0", "1e308", "inf", "2021", "2021.5", "x", "verified",
                                   "unverified", "中卫", " "]), st.text(max_size=8),
                  st.integers(-10**6, 10**6).map(str), st.floats().map(str))


@st.composite
def tables(draw):
    header = list(HEADER)
    for _ in range(draw(st.integers(0, 2))):
        action = draw(st.sampled_from(["drop", "rename", "add", "swap"]))
        i = draw(st.integers(0, len(header) - 1))
        if action == "drop" and len(header) > 1:
            header.pop(i)
        elif action == "rename":
            header[i] = draw(st.text(max_size=6))
        elif action == "add":
            header.insert(i, draw(st.text(max_size=6)))
        else:
            j = draw(st.integers(0, len(header) - 1))
            header[i], header[j] = header[j], header[i]
    rows = [dict(zip(HEADER, r)) for r in draw(st.lists(st.sampled_from(ROWS), min_size=0, max_size=12))]
    out = []
    for row in rows:
        values = [row.get(c, "") for c in header]
        for _ in range(draw(st.integers(0, 2))):
            values[draw(st.integers(0, len(values) - 1))] = draw(cells)
        if draw(st.integers(0, 9)) == 0:
            values = values[:draw(st.integers(0, len(values)))]  # a short row
        out.append(values)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *out])
    return buffer.getvalue().encode("utf-8")


def _snapshot(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*"))


def _loads_or_names_file_and_key(folder, data):
    file = folder / "series.csv"
    file.write_bytes(data)
    before = _snapshot(folder)
    try:
        table = load_series(file)
    except (InputError, InputErrors) as e:
        for error in getattr(e, "errors", [e]):
            assert isinstance(error, InputError) and Path(error.file).name == "series.csv", error
            assert error.key and error.message, error
    else:
        assert len(table) <= len(data)
    assert _snapshot(folder) == before  # nothing written


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=tables())
def test_fuzzed_series_tables_load_or_name_file_and_key(folder, data):
    _loads_or_names_file_and_key(folder, data)


@FUZZ
@given(data=st.one_of(st.text(max_size=300).map(lambda t: t.encode("utf-8")), st.binary(max_size=300)))
def test_fuzzed_series_text_and_bytes_load_or_name_file_and_key(folder, data):
    _loads_or_names_file_and_key(folder, data)
