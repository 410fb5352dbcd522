"""sim evaluate: PITs of values drawn from the forecast are uniform, far values are flagged, bad
files are refused with nothing written, and the command runs end to end on an ensemble."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import evaluate as E
from sim import forecast as F
from sim.errors import InputError
from sim.forecast import output

from conftest import BASELINE, ROOT


@pytest.fixture(scope="module")
def forecasts():
    """The shipped series fitted as of 2021, and their forecasts.csv rows (what evaluate scores)."""
    fits = F.fit_all()
    return fits, output.forecast_table(fits)


def _realized(rows):
    return pd.DataFrame([{"area": a, "group": g, "year": y, "value_yuan": v, "source": "test"}
                         for a, g, y, v in rows])


def _write(df, path):
    df.to_csv(path, index=False)
    return path


def test_values_drawn_from_the_forecast_have_uniform_pits(forecasts):
    fits, table = forecasts
    rng = np.random.default_rng(11)
    keys, n = ["ningxia_rural", "china_urban", "zhongwei_rural"], 200
    paths = {k: fits[k].draws(n, rng) for k in keys}
    pits, inside = [], []
    for i in range(n):
        rows = [(*k.split("_", 1), int(y), float(v)) for k in keys for y, v in zip(fits[k].years, paths[k][i])]
        realized = _realized(rows).assign(series=lambda d: d["area"] + "_" + d["group"])
        scored = E.score(realized, table, "drawn")
        pits += scored["pit"].tolist()
        inside += scored["inside80"].tolist()
    assert stats.kstest(pits, "uniform").pvalue > 0.01
    assert np.mean(inside) == pytest.approx(0.8, abs=0.03)


def test_values_far_outside_are_flagged(forecasts, tmp_path):
    table = forecasts[1]
    row = table[(table["series"] == "ningxia_rural") & (table["year"] == 2022)].iloc[0]
    realized = E.load_realized(_write(_realized([("ningxia", "rural", 2022, row["hi95"] * 1.2),
                                                 ("ningxia", "urban", 2023, 1.0)]), tmp_path / "r.csv"))
    scored = E.score(realized, table, "r.csv")
    assert not scored["inside80"].any() and not scored["inside95"].any()
    assert scored.set_index("series").loc["ningxia_rural", "pit"] > 0.999
    assert scored.set_index("series").loc["ningxia_urban", "pit"] < 0.001
    assert "far outside: ningxia_rural 2022" in E.summary(scored)
    assert (E.interval_score(scored) > (scored["hi80"] - scored["lo80"])).all()


BAD = {
    "missing column": ("area,group,year,value_yuan\nningxia,rural,2022,16000\n", "column source"),
    "unknown area": ("area,group,year,value_yuan,source\nmars,rural,2022,16000,x\n", "row 1, column area"),
    "unknown group": ("area,group,year,value_yuan,source\nningxia,nomads,2022,16000,x\n", "row 1, column group"),
    "duplicated year": ("area,group,year,value_yuan,source\nningxia,rural,2022,16000,x\n"
                        "ningxia,rural,2022,16100,y\n", "row 2, column year"),
    "non-positive": ("area,group,year,value_yuan,source\nningxia,rural,2022,0,x\n", "row 1, column value_yuan"),
    "non-numeric": ("area,group,year,value_yuan,source\nningxia,rural,2022,n/a,x\n", "row 1, column value_yuan"),
    "no source": ("area,group,year,value_yuan,source\nningxia,rural,2022,16000,\n", "row 1, column source"),
    "year outside": ("area,group,year,value_yuan,source\nningxia,rural,2022,16000,x\n"
                     "ningxia,rural,2031,30000,x\n", "row 2, column year"),
    "not forecast": ("area,group,year,value_yuan,source\nzhongwei,migrant,2022,11000,x\n", "row 1, column group"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_realized_files_are_refused_and_nothing_is_written(case, tmp_path):
    text, where = BAD[case]
    path = tmp_path / "realized.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        E.evaluate_realized(path, out=tmp_path / "out")
    assert str(path) in str(e.value) and where in str(e.value)
    assert not (tmp_path / "out").exists()


def test_evaluate_end_to_end_on_an_ensemble(tmp_path, forecasts):
    fits = forecasts[0]
    run = subprocess.run([sys.executable, "-m", "sim", "run", str(BASELINE), "--replications", "3",
                          "--households", "400", "--workers", "1", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    d = next(tmp_path.glob("baseline-*"))
    inc = pd.read_csv(d / "income_yearly.csv", encoding="utf-8-sig")
    sel = inc[(inc.group == "all") & (inc.subgroup == "all") & (inc.component == "disposable") & (inc.year == 2022)]
    lowest = float(sel["yuan_per_person"].min())
    high = float(fits["zhongwei_rural"].frame()["pi_upper"].iloc[0]) * 1.1  # T2 cannot be met against it
    realized = _write(_realized([("zhongwei", "rural", 2022, high), ("zhongwei", "migrant", 2022, lowest - 1)]),
                      tmp_path / "realized.csv")
    for attempt in (1, 2):
        r = subprocess.run([sys.executable, "-m", "sim", "evaluate", str(realized), str(d)], cwd=ROOT,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    out = pd.read_csv(d / "evaluate.csv", encoding="utf-8-sig")
    assert list(out.columns) == E.EVALUATE_COLUMNS and len(out) == 2
    assert (d / "evaluate-2.csv").is_file()  # a second evaluation never overwrites the first
    mig = out.set_index("series").loc["zhongwei_migrant"]
    assert mig["pit"] == 0 and not mig["inside80"]
    assert out.set_index("series").loc["zhongwei_rural", "pit"] > 0.9
    for lang in ("zh", "en"):
        for ext in ("png", "svg", "csv"):
            assert (d / f"evaluate_chart_{lang}.{ext}").is_file()
    targets = pd.read_csv(d / "evaluate_targets.csv", encoding="utf-8-sig").set_index("target")
    assert targets.loc["T2", "probability"] == 0 and "T2_plan" not in targets.index
    assert targets.loc["T2", "comparator_reading"] == "realized" and targets.loc["T1", "comparator_reading"] == "none"
