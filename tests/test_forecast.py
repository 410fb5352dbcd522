"""Comparator forecasts: data checks, growth models, pooled backtest, intervals, joint draws,
the information set, the plan reading and the output contract."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from sim import forecast as F
from sim.errors import InputError
from sim.forecast import models as M
from sim.forecast import output, readings
from sim.parameters import UNITS, load_parameter

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["ningxia_rural", "ningxia_urban", "china_rural", "china_urban",
        "china_poverty_area_rural", "zhongwei_rural", "zhongwei_urban"]


@pytest.fixture(scope="module")
def series():
    return F.load_series()


@pytest.fixture(scope="module")
def fits(series):
    return F.fit_all(series)


def _pooled(fits, model):
    bt = fits.backtest
    return bt[(bt["series"] == F.POOLED) & (bt["model"] == model)].set_index("horizon")


def _later_rows(series, year=2022, growth=1.5):
    """Rows after 2021 for every modelled series, with absurd values (+50%) that would move any
    fit that saw them."""
    last = series.sort_values("year").groupby(["area", "group"]).tail(1)
    last = last[(last["year"] == 2021) & (last["area"] != "zhongwei")]
    new = last.assign(year=year, value_yuan=last["value_yuan"] * growth, source="appended test row")
    return pd.concat([series, new], ignore_index=True)


# --------------------------------------------------------------------------- data and bad input

def test_packaged_data_keeps_source_and_status(series):
    assert list(series.columns) == list(F.COLUMNS)
    assert series["year"].max() == 2021  # no realized figure after the plans' base year is shipped
    zw = series[(series["area"] == "zhongwei") & (series["group"] == "rural")]
    assert zw["value_yuan"].tolist() == [13500] and zw["status"].tolist() == ["derived"]


def test_poverty_series_is_joined_with_a_marked_bridge_year(series):
    rows = F.comparator_series(series, "china", "poverty_area_rural")
    assert rows["year"].tolist() == list(range(2016, 2022))
    bridge = rows[rows["year"] == 2020].iloc[0]
    assert bridge["status"] == "derived" and bridge["value_yuan"] == pytest.approx(14051 / 1.116)


BAD = {
    "missing column": (lambda d: d.drop(columns="source"), "column source"),
    "unknown area": (lambda d: d.assign(area=d["area"].where(d.index != 4, "atlantis")), "row 5, column area"),
    "unknown group": (lambda d: d.assign(group=d["group"].where(d.index != 2, "suburban")), "row 3, column group"),
    "duplicated year": (lambda d: pd.concat([d, d.iloc[[6]]], ignore_index=True), f"row {0}, column year"),
    "non-positive": (lambda d: d.assign(value_yuan=d["value_yuan"].where(d.index != 1, "-5")), "row 2, column value_yuan"),
    "non-numeric": (lambda d: d.assign(value_yuan=d["value_yuan"].where(d.index != 3, "lots")), "row 4, column value_yuan"),
    "no source": (lambda d: d.assign(source=d["source"].where(d.index != 7, " ")), "row 8, column source"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_series_file_is_refused_naming_file_row_and_column(case, tmp_path):
    raw = pd.read_csv(ROOT / "sim" / "data" / "income_series.csv", dtype=str, keep_default_na=False)
    change, where = BAD[case]
    bad = change(raw)
    if case == "duplicated year":
        where = f"row {len(bad)}, column year"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError) as e:
        F.load_series(path)
    assert str(path) in str(e.value) and where in str(e.value)


def test_bad_series_file_writes_nothing(tmp_path):
    raw = pd.read_csv(ROOT / "sim" / "data" / "income_series.csv", dtype=str, keep_default_na=False)
    raw.drop(columns="year").to_csv(tmp_path / "bad.csv", index=False)
    run = subprocess.run([sys.executable, "-m", "sim", "forecast", "--series", str(tmp_path / "bad.csv"),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2 and "column year" in run.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- models and scores

def test_every_model_forecasts_a_constant_growth_exactly():
    g = np.full(6, 0.08)
    out = M.growth_forecasts(g, phi=0.3, h=4)
    assert set(out) == set(M.DEFAULT_MODELS)
    for name, f in out.items():
        assert f == pytest.approx(np.full(4, 0.08), abs=1e-6), name


def test_models_differ_where_they_should():
    g = np.array([0.10, 0.06, 0.10, 0.06, 0.10, 0.03])
    out = M.growth_forecasts(g, phi=-0.5, h=2)
    assert out["naive"] == pytest.approx([0.03, 0.03])
    assert out["recent_mean"] == pytest.approx([np.mean(g[-3:])] * 2)
    m = g.mean()
    assert out["ar1_pooled"] == pytest.approx([m - 0.5 * (0.03 - m), m + 0.25 * (0.03 - m)])
    members = [out[k] for k in M.MEMBERS]
    assert out["combination"] == pytest.approx(np.mean(members, axis=0))


def test_short_history_drops_the_local_level_but_keeps_the_combination():
    out = M.growth_forecasts(np.array([0.08, 0.09]), phi=0.0, h=1)
    assert "local_level" not in out and out["combination"] == pytest.approx([0.085])


def test_pooled_phi_recovers_the_sign_of_persistence():
    rng = np.random.default_rng(1)
    panel = []
    for _ in range(6):
        d = [0.0]
        for _ in range(30):
            d.append(-0.6 * d[-1] + rng.normal(0, 0.01))
        panel.append(0.08 + np.array(d))
    assert -0.8 < M.pooled_phi(panel) < -0.4
    assert M.pooled_phi([np.array([0.1, 0.2])]) == 0.0  # too few pairs: no persistence assumed


def test_crps_matches_its_integral_definition():
    mu, sd, y = 0.1, 0.02, 0.13
    numeric, _ = integrate.quad(lambda x: (stats.norm.cdf(x, mu, sd) - (x >= y)) ** 2, -1, 1,
                                points=[y], limit=200)
    assert M.crps_normal(mu, sd, y) == pytest.approx(numeric, rel=1e-6)


# --------------------------------------------------------------------------- backtest (done-when)

def test_backtest_uses_only_data_up_to_each_origin(series):
    levels = {k: F.comparator_series(series, *k.split("_", 1)) for k in ["china_rural", "china_urban"]}
    cells = F.rolling_backtest(levels)
    bumped = {k: v.copy() for k, v in levels.items()}
    bumped["china_rural"].loc[bumped["china_rural"]["year"] == 2019, "value_yuan"] *= 1.3
    moved = F.rolling_backtest(bumped)
    early = (cells["origin"] < 2019) & (cells["year"] < 2019)
    pd.testing.assert_frame_equal(cells[early], moved[early])
    assert not cells.equals(moved)
    late = (cells["series"] == "china_rural") & (cells["origin"] >= 2019)
    assert (cells.loc[late, "spread"] != moved.loc[late, "spread"]).all()  # the floor moves with it


def test_pooled_backtest_meets_the_done_when_criteria(fits):
    chosen = fits.scored[fits.scored["model"] == fits.chosen]
    assert (chosen["horizon"] == 1).sum() >= 30
    assert 0.70 <= chosen["inside80"].mean() <= 0.90
    assert chosen["inside95"].mean() >= 0.88
    mine, naive, n = fits.skill
    assert fits.chosen != "naive" and mine < naive and n == len(chosen)


def test_backtest_table_follows_the_contract(fits):
    bt = F.backtest_table(fits)
    assert list(bt.columns) == F.BACKTEST_COLUMNS
    pooled = bt[bt["series"] == F.POOLED]
    assert set(pooled["horizon"]) == {1, 2, 3, 4}
    per_series = bt[(bt["series"] != F.POOLED) & (bt["model"] == fits.chosen)]
    assert (per_series.groupby("horizon")["n"].sum() == pooled[pooled["model"] == fits.chosen]
            .set_index("horizon")["n"]).all()


def test_one_year_intervals_lie_between_the_growth_floor_and_the_ceiling(fits):
    check = F.interval_check(fits).set_index("series")
    assert set(check.index) == set(KEYS[:5])
    assert (check["half_width"] <= 0.06).all() and (check["half_width"] >= check["floor"]).all()
    assert check["inside"].all()
    g = np.diff(np.log(fits["china_urban"].history["value_yuan"].to_numpy()))
    # the floor: about z(0.9) x the sd of the series' own observed log growths
    assert check.loc["china_urban", "floor"] == pytest.approx(stats.norm.ppf(0.9) * g.std(ddof=1), rel=1e-3)
    frame = fits["china_urban"].frame().iloc[0]
    half = (frame["pi_upper"] - frame["pi_lower"]) / 2 / frame["mean"]
    assert check.loc["china_urban", "half_width"] == pytest.approx(half, rel=1e-9)


def _forecast_with(history_values, log_sd, key="test_volatile"):
    years = np.arange(2013, 2013 + len(history_values))
    history = pd.DataFrame({"year": years, "group": "rural", "value_yuan": history_values,
                            "growth_pct": np.nan, "status": "verified", "source": "synthetic"})
    log_sd = np.asarray(log_sd, float)
    return F.ComparatorForecast(key=key, area="test", group="rural", history=history,
                                years=years[-1] + np.arange(1, len(log_sd) + 1),
                                log_mean=np.log(history_values[-1]) + 0.08 * np.arange(1, len(log_sd) + 1),
                                log_sd=log_sd, model_name="naive", model_label="test", as_of=int(years[-1]))


def test_interval_check_flags_intervals_below_the_floor_or_above_the_ceiling():
    volatile = 10000 * np.exp(np.cumsum([0, 0.05, 0.11, 0.05, 0.11, 0.05]))  # growth sd about 0.033
    calm = 10000 * np.exp(np.cumsum([0, 0.08, 0.081, 0.079, 0.08, 0.08]))
    fits = {"narrow": _forecast_with(volatile, [0.02, 0.03], "narrow"),
            "wide": _forecast_with(calm, [0.10, 0.14], "wide"),
            "fine": _forecast_with(volatile, [0.04, 0.06], "fine")}
    check = F.interval_check(fits).set_index("series")
    assert check.loc["narrow", "half_width"] < check.loc["narrow", "floor"]
    assert not check.loc["narrow", "inside"] and not check.loc["wide", "inside"]
    assert check.loc["wide", "half_width"] > 0.06 and check.loc["fine", "inside"]


def test_issued_intervals_follow_the_rule_the_backtest_checks(fits):
    pooled = F.horizon_sds(fits.cells[fits.cells["model"] == fits.chosen], 4)
    h = np.arange(1, 5)
    for key in KEYS[:5]:
        f = fits[key]
        g = np.diff(np.log(f.history["value_yuan"].to_numpy(float)))
        assert f.log_sd == pytest.approx(np.maximum(pooled, g.std(ddof=1) * np.sqrt(h)), rel=1e-12)
        assert np.array_equal(f.log_sd, F.predictive_sd(pooled, F.growth_spread(g), h))
    assert fits["china_urban"].log_sd[0] > pooled[0]  # its 2020 growth widens it above the pooled sd
    assert fits["ningxia_rural"].log_sd[0] == pooled[0]


def test_backtest_intervals_are_floored_by_the_growth_spread_up_to_the_origin():
    rng = np.random.default_rng(3)
    calm = {f"calm{i}": 0.08 + rng.normal(0, 0.002, 8) for i in range(3)}
    growths = {**calm, "volatile": np.array([0.02, 0.14, 0.02, 0.14, 0.02, 0.14, 0.02, 0.14])}
    levels = {k: pd.DataFrame({"year": np.arange(2013, 2022),
                               "value_yuan": 10000 * np.exp(np.r_[0, np.cumsum(g)])})
              for k, g in growths.items()}
    scored = F.score_cells(F.rolling_backtest(levels, models=("naive", "recent_mean")))
    vol = scored[(scored["series"] == "volatile") & (scored["model"] == "recent_mean")]
    g = growths["volatile"]
    for row in vol.itertuples():
        spread = g[: row.origin - 2013].std(ddof=1) if row.origin - 2013 >= 2 else np.nan
        assert row.spread == pytest.approx(spread, nan_ok=True)  # only growths up to the origin
    others = scored[(scored["series"] != "volatile") & (scored["model"] == "recent_mean")]
    pooled = F.horizon_sds(others, 4)[vol["horizon"].to_numpy() - 1]
    expect = F.predictive_sd(pooled, vol["spread"].to_numpy(), vol["horizon"].to_numpy())
    assert vol["sd"].to_numpy() == pytest.approx(expect)
    measured = vol["spread"].notna()
    assert (vol.loc[measured, "sd"] == vol.loc[measured, "spread"] * np.sqrt(vol.loc[measured, "horizon"])).all()
    assert (vol.loc[~measured, "sd"].to_numpy() == pooled[~measured.to_numpy()]).all()


# --------------------------------------------------------------------------- forecasts and draws

def test_fit_all_keys_and_sane_forecasts(fits):
    assert list(fits) == KEYS
    for key, f in fits.items():
        t = f.table()
        assert t["year"].tolist() == [2022, 2023, 2024, 2025] and (t["as_of"] == 2021).all()
        assert (t["lo95"] < t["lo80"]).all() and (t["lo80"] < t["mean"]).all()
        assert (t["mean"] < t["hi80"]).all() and (t["hi80"] < t["hi95"]).all()
        growth = t["mean"].iloc[0] / f.last_value - 1
        assert 0.0 < growth < 0.15, key


@pytest.mark.parametrize("key", ["ningxia_rural", "zhongwei_urban"])
def test_draws_reproduce_the_interval(fits, key):
    f = fits[key]
    paths = f.draws(20000, rng=5)
    lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
    frame = f.frame()
    assert lo == pytest.approx(frame["pi_lower"].to_numpy(), rel=0.004)
    assert hi == pytest.approx(frame["pi_upper"].to_numpy(), rel=0.004)


def test_rural_and_urban_are_drawn_jointly_with_the_estimated_correlation(fits):
    rng = np.random.default_rng(2)
    keys = ["ningxia_rural", "ningxia_urban", "zhongwei_rural", "zhongwei_urban"]
    paths = F.joint_log_paths(fits, keys, 40000, rng, 2021)
    step = {k: paths[k][:, 1] - paths[k][:, 0] for k in keys}
    rho = fits.correlations.set_index(["a", "b"]).loc[("ningxia_rural", "ningxia_urban"), "rho"]
    assert 0 < rho < 1
    assert np.corrcoef(step["ningxia_rural"], step["ningxia_urban"])[0, 1] == pytest.approx(rho, abs=0.02)
    # Zhongwei follows Ningxia: its growth is Ningxia's plus a smaller gap
    zn = np.corrcoef(step["zhongwei_rural"], step["ningxia_rural"])[0, 1]
    sd_n, link = fits["ningxia_rural"].log_sd[0], fits["zhongwei_rural"].link_sd
    assert zn == pytest.approx(sd_n / np.hypot(sd_n, link), abs=0.02)
    assert np.corrcoef(step["zhongwei_rural"], step["zhongwei_urban"])[0, 1] == pytest.approx(rho, abs=0.02)


def test_zhongwei_says_it_has_one_observed_year(fits):
    text = fits["zhongwei_rural"].summary()
    assert "only 1 observed year(s) (2021)" in text and "link uncertainty" in text
    assert (fits["zhongwei_rural"].log_sd > fits["ningxia_rural"].log_sd).all()
    p = load_parameter(F.LINK_SD_FILE, F.LINK_SD_PATH)
    assert p.metadata["assumption"] is True and fits["zhongwei_rural"].link_sd == p.values[0][1]


# --------------------------------------------------------------------------- the information set

def test_rows_after_the_as_of_year_cannot_change_the_forecast(series, fits, tmp_path):
    later = F.fit_all(_later_rows(series), as_of=2021)
    assert output.forecast_table(later).to_csv() == output.forecast_table(fits).to_csv()
    assert later.backtest.to_csv() == fits.backtest.to_csv()
    moved = F.fit_all(_later_rows(series), as_of=2022)
    assert moved["ningxia_rural"].years[0] == 2023


def test_cli_output_is_byte_identical_with_later_rows(series, tmp_path):
    extended = tmp_path / "extended.csv"
    _later_rows(series).to_csv(extended, index=False)
    for name, extra in [("a", []), ("b", ["--series", str(extended)])]:
        subprocess.run([sys.executable, "-m", "sim", "forecast", "--as-of", "2021", "--out",
                        str(tmp_path / name)] + extra, check=True, capture_output=True, cwd=ROOT)
    for f in ("forecasts.csv", "backtest.csv"):
        assert (tmp_path / "a" / "forecasts" / f).read_bytes() == (tmp_path / "b" / "forecasts" / f).read_bytes()
    head = (tmp_path / "a" / "forecasts" / "forecasts.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head == ",".join(output.FORECAST_COLUMNS)


def test_an_earlier_information_set_says_what_it_lacks(series):
    early = F.fit_all(series, as_of=2017)
    assert early["ningxia_rural"].years[0] == 2018 and early.as_of == 2017
    assert "only 2 observed year(s) up to 2017" in early.skipped["china_poverty_area_rural"]
    assert "zhongwei_rural" in early.skipped and "zhongwei_rural" not in early
    with pytest.raises(InputError, match="as_of"):
        F.fit_all(series, as_of=2030)


def test_results_are_never_overwritten(fits, tmp_path):
    first, second = output.write(fits, tmp_path), output.write(fits, tmp_path)
    assert first.name == "forecasts" and second.name == "forecasts-2"


# --------------------------------------------------------------------------- the plan reading

def test_plan_reading_is_the_plans_growth_with_its_source(fits):
    paths = readings.plan_paths(fits, 3)
    assert paths["zhongwei_rural"].loc[0, 2022] == pytest.approx(13500 * 1.10)
    assert paths["zhongwei_urban"].loc[2, 2025] == pytest.approx(32500 * 1.08 ** 4)
    for key, (file, path) in readings.PLAN_GROWTH.items():
        p = load_parameter(file, path)
        assert p.unit in UNITS and "seed 004" in p.metadata["reference"][0]
        assert "增长8%和10%以上" in p.metadata["reference"][0]


# --------------------------------------------------------------------------- report section

def test_report_section_is_bilingual_and_absent_without_forecasts(fits, tmp_path):
    from sim.forecast.section import section
    assert section(tmp_path) is None
    output.write(fits, tmp_path)
    page = section(tmp_path)
    assert page.startswith("<section") and "<h2>" in page and page.endswith("</section>")
    assert "截至2021年" in page and "data up to 2021" in page and fits.chosen in page
    n1 = int(_pooled(fits, fits.chosen).loc[1, "n"])
    assert f"<td>{n1}</td>" in page
