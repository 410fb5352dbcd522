"""Comparator forecasts: backtest logic, choice, intervals, draws, links and data-driven years."""
import warnings

import numpy as np
import pandas as pd
import pytest

from sim import forecast as F
from sim.parameters import UNITS, load_parameter

KEYS = ["ningxia_rural", "ningxia_urban", "china_rural", "china_urban",
        "china_poverty_area_rural", "zhongwei_rural", "zhongwei_urban"]


@pytest.fixture(scope="module")
def series():
    return F.load_series()


@pytest.fixture(scope="module")
def results(series):
    return F.fit_all(series, end_year=2025)


def _exact(growth=0.08, start=2012, end=2021, base=10000.0):
    years = np.arange(start, end + 1)
    return years, base * (1 + growth) ** (years - start)


def _with_row(series, area, group, year, value):
    row = {"series": F.SERIES, "area": area, "group": group, "year": year, "value_yuan": value,
           "growth_pct": np.nan, "status": "unverified", "source": "test row"}
    return pd.concat([series, pd.DataFrame([row])], ignore_index=True)


def _series_df(years, values, area="testland", group="rural"):
    return pd.DataFrame({"series": F.SERIES, "area": area, "group": group, "year": years,
                         "value_yuan": values, "growth_pct": np.nan, "status": "verified",
                         "source": "synthetic"})


# --------------------------------------------------------------------------- data

def test_packaged_data_keeps_source_and_status(series):
    assert list(series.columns) == list(F.COLUMNS)
    assert set(series["status"]) == {"verified", "unverified", "derived"}
    zw = series[(series["area"] == "zhongwei") & (series["group"] == "rural")]
    assert zw["value_yuan"].tolist() == [13500] and zw["status"].tolist() == ["derived"]


def test_poverty_series_is_joined_with_a_marked_bridge_year(series):
    rows = F.comparator_series(series, "china", "poverty_area_rural")
    assert rows["year"].tolist() == list(range(2016, 2022))
    bridge = rows[rows["year"] == 2020].iloc[0]
    assert bridge["status"] == "derived"
    assert bridge["value_yuan"] == pytest.approx(14051 / 1.116)


def test_gap_in_a_series_is_an_error(series):
    gappy = series[~((series["area"] == "ningxia") & (series["group"] == "rural")
                     & (series["year"] == 2018))]
    with pytest.raises(ValueError, match="2018"):
        F.fit_comparator(gappy, "ningxia", "rural")


# --------------------------------------------------------------------------- backtest logic

def test_backtest_cells_origins_and_horizons():
    years, values = _exact()
    cells = F.rolling_backtest(years, values, ("rw_drift",))
    assert sorted(cells["origin"].unique()) == [2017, 2018, 2019, 2020]
    bt = F.summarise_backtest(cells)
    assert bt["horizon"].tolist() == [1, 2, 3, 4] and bt["n"].tolist() == [4, 3, 2, 1]
    assert (cells["year"] == cells["origin"] + cells["horizon"]).all()


def test_exact_growth_naive_drift_is_exact_and_chosen():
    years, values = _exact(0.08)
    cells = F.rolling_backtest(years, values, ("rw_drift", "last_growth"))
    assert cells["ape"].max() < 1e-9
    # a tie goes to the simpler model whatever the order of the candidates
    assert F.score_models(cells, ("last_growth", "rw_drift"))["model"].iloc[0] == "rw_drift"
    r = F.fit_comparator(_series_df(years, values), "testland", "rural", end_year=2024)
    assert r.model_name == "rw_drift"
    assert r.frame()["mean"].to_numpy() == pytest.approx(values[-1] * 1.08 ** np.arange(1, 4))


def test_backtest_ape_and_coverage_by_hand():
    years = np.arange(2012, 2022)
    growth = np.where(np.arange(9) % 2 == 0, 0.06, 0.10)
    values = 10000 * np.exp(np.r_[0, np.cumsum(growth)])
    cells = F.rolling_backtest(years, values, ("rw_drift",))
    cell = cells[(cells["origin"] == 2018) & (cells["horizon"] == 2)].iloc[0]
    g = np.diff(np.log(values[:7]))
    mu = np.log(values[6]) + 2 * g.mean()
    sd = g.std(ddof=1) * np.sqrt(2 + 4 / len(g))
    mean = np.exp(mu + sd ** 2 / 2)
    assert cell["mean"] == pytest.approx(mean)
    assert cell["ape"] == pytest.approx(abs(mean - values[8]) / values[8])
    assert cell["pi_upper"] == pytest.approx(np.exp(mu + 1.2815515655 * sd))
    assert cell["covered"] == float(cell["pi_lower"] <= values[8] <= cell["pi_upper"])


def test_alternating_growth_is_not_forecast_by_the_last_growth():
    years = np.arange(2012, 2022)
    growth = np.where(np.arange(9) % 2 == 0, 0.06, 0.10)
    values = 10000 * np.exp(np.r_[0, np.cumsum(growth)])
    scores = F.score_models(F.rolling_backtest(years, values, ("rw_drift", "last_growth")),
                            ("rw_drift", "last_growth"))
    assert scores.set_index("model").loc["rw_drift", "ape_mean"] < \
        scores.set_index("model").loc["last_growth", "ape_mean"]


def test_fits_keep_their_warnings_to_themselves(series):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.fit_comparator(series, "ningxia", "urban",
                         models=("uc_smooth_trend", "uc_local_linear_trend", "arima_110_drift"))
    assert not [w for w in caught if "statsmodels" in (w.filename or "")]


# --------------------------------------------------------------------------- real data

def test_fit_all_keys_and_sane_forecasts(results, series):
    assert list(results) == KEYS
    for key, r in results.items():
        f = r.frame()
        assert list(f.columns) == ["year", "mean", "pi_lower", "pi_upper"]
        assert f["year"].tolist() == [2022, 2023, 2024, 2025] and r.last_year == 2021
        last = f.iloc[-1]
        assert r.last_value < last["mean"] < 1.8 * r.last_value, key
        assert (f["pi_lower"] < f["mean"]).all() and (f["mean"] < f["pi_upper"]).all(), key
        width = np.log(f["pi_upper"] / f["pi_lower"])
        assert (np.diff(width) > 0).all(), key
        assert (r.frame(alpha=0.05)["pi_upper"] > f["pi_upper"]).all()


def test_chosen_model_follows_the_backtest(results):
    for key in KEYS[:4]:
        r = results[key]
        scores = r.scores.set_index("model")
        assert scores.loc[r.model_name, "chosen"] and scores["chosen"].sum() == 1
        assert scores.loc[r.model_name, "ape_mean"] <= scores["ape_mean"].min() + F.TIE_TOL
    poverty = results["china_poverty_area_rural"]
    assert poverty.model_name == "rw_drift"   # 3 backtest cells: too few to choose
    assert any("definitional break" in n for n in poverty.notes)


def test_backtest_table(results):
    table = F.backtest_table(results)
    assert list(table.columns) == ["series", "model", "horizon", "ape_mean", "coverage80", "n",
                                   "chosen"]
    assert set(table["series"]) == set(KEYS[:5])
    chosen = table[table["chosen"]].groupby("series")["model"].nunique()
    assert (chosen == 1).all()
    assert table["coverage80"].between(0, 1).all() and (table["ape_mean"] >= 0).all()


@pytest.mark.parametrize("key", ["ningxia_rural", "china_rural", "zhongwei_urban"])
def test_draws_reproduce_the_interval(results, key):
    r = results[key]
    f = r.frame()
    draws = r.draws(20000, np.random.default_rng(11))
    assert draws.shape == (20000, len(f))
    lo, hi = np.quantile(draws, [0.1, 0.9], axis=0)
    width = (f["pi_upper"] - f["pi_lower"]).to_numpy()
    assert np.abs(lo - f["pi_lower"].to_numpy()).max() < 0.05 * width.min()
    assert np.abs(hi - f["pi_upper"].to_numpy()).max() < 0.05 * width.min()
    assert draws.mean(axis=0) == pytest.approx(f["mean"].to_numpy(), rel=2e-3)
    assert np.array_equal(r.draws(5, 3), r.draws(5, 3))


def test_linked_series_is_wider_than_its_parent(results):
    for child, parent in [("zhongwei_rural", "ningxia_rural"), ("zhongwei_urban", "ningxia_urban")]:
        c, p = results[child].frame(), results[parent].frame()
        assert (np.log(c["pi_upper"] / c["pi_lower"]) > np.log(p["pi_upper"] / p["pi_lower"])).all()
        growth_c = c["mean"].iloc[-1] / results[child].last_value
        growth_p = p["mean"].iloc[-1] / results[parent].last_value
        assert growth_c == pytest.approx(growth_p, rel=0.01)
        assert results[child].parent is results[parent]


def test_link_sd_is_a_declared_assumption(results):
    p = load_parameter(F.LINK_SD_FILE, F.LINK_SD_PATH)
    assert p.unit == "/year" and p.unit in UNITS and p.metadata["assumption"] is True
    # not drawn in the ensemble: it is the sd of a random term in every comparator draw
    assert p.metadata["uncertainty"] is None and "0.01-0.02" in p.metadata["note"]
    assert results["zhongwei_rural"].link_sd == F.link_growth_sd(2022) == p.values[0][1]


def test_summary_names_the_model_and_the_link(results):
    for key, r in results.items():
        text = r.summary()
        assert isinstance(text, str) and r.model_name in text and "2025" in text
    assert "link uncertainty" in results["zhongwei_rural"].summary()
    assert "<- chosen" in results["ningxia_urban"].summary()


# --------------------------------------------------------------------------- years from the data

def test_appending_2022_moves_the_forecast_start(series, results):
    df = _with_row(series, "ningxia", "rural", 2022, 16430)
    parent = F.fit_comparator(df, "ningxia", "rural", end_year=2025)
    assert parent.last_year == 2022 and parent.frame()["year"].tolist() == [2023, 2024, 2025]
    child = F.fit_linked(13500, 2021, parent, link_sd=0.015)
    f = child.frame()
    assert f["year"].tolist() == [2022, 2023, 2024, 2025]
    # 2022: the parent's observed growth, with only the link noise around it
    assert child.log_sd[0] == pytest.approx(0.015)
    assert f["mean"].iloc[0] == pytest.approx(13500 * 16430 / 15337, rel=1e-3)


def test_a_shorter_data_set_starts_earlier(series):
    df = series[series["year"] <= 2019]
    r = F.fit_comparator(df, "china", "urban", end_year=2023)
    assert r.last_year == 2019 and r.frame()["year"].tolist() == [2020, 2021, 2022, 2023]
    with pytest.raises(ValueError, match="end_year"):
        F.fit_comparator(df, "china", "urban", end_year=2019)


def test_shipped_data_parse_with_source_and_status():
    import pandas as pd
    from pathlib import Path
    import sim
    data = Path(sim.__file__).with_name("data")
    for name in ("income_series.csv", "household_facts.csv"):
        df = pd.read_csv(data / name)
        assert {"source", "status"} <= set(df.columns) and df["source"].notna().all()
        assert set(df["status"]) <= {"verified", "derived", "unverified"}, name
