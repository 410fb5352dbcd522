"""Forecasts of the comparator income series, chosen by rolling-origin backtest.

Targets T2-T4 (DESIGN.md section 1) compare migrants' income with groups the household model does
not simulate: rural and urban residents of Ningxia, of China and of Zhongwei, and the rural
population of the poverty areas. This module forecasts those series from the shipped data
(``sim/data/income_series.csv``) and returns intervals and simulated paths, which the target
probabilities combine with the household model's replications.

Every series is modelled on the log of per-capita disposable income (yuan per person per year,
current prices). Candidate models (see ``MODELS``):

``rw_drift``
    Random walk with drift: log growth ~ N(drift, s^2), drift = mean past log growth; the
    interval carries the drift's own uncertainty (variance s^2 (h + h^2 / m), m growths).
``last_growth``
    Last growth repeated: log growth follows a random walk; innovation sd from the past changes
    in growth (variance s^2 (1 + 4 + ... + h^2)).
``uc_smooth_trend``
    ``UnobservedComponents(log_y, "smooth trend")``: irregular plus a trend whose slope is a
    random walk, by maximum likelihood.
``arima_110_drift``
    ``ARIMA(log_y, order=(1, 1, 0), trend="t")``: an AR(1) with constant on log growth.
``ets_aan``
    ``ETSModel(log_y, error="add", trend="add")``: additive-trend exponential smoothing.

Rolling-origin backtest: every origin year from 2017 (and with at least ``MIN_OBS`` years of data)
up to the year before the last; each model is fitted on the data up to the origin and forecasts 1
to 4 years ahead where the actual value exists. Per series, the model with the lowest mean absolute
percentage error over all origins and horizons is chosen; models within ``TIE_TOL`` of the best
count as tied and the simplest of them is taken. With fewer than ``MIN_CELLS`` backtest cells
(the joined poverty-area series has 3) the backtest cannot tell the models apart and the simplest,
the naive random walk with drift, is used. No year is hard-coded: the last year of each series is
read from the data, and the forecast runs from that year + 1 to ``end_year``.

The predictive distribution of every model is Gaussian in log income, so intervals are
``exp(mu -/+ z sd)`` and ``mean`` is the lognormal mean ``exp(mu + sd^2 / 2)``. The statsmodels
models' intervals and draws take their estimated parameters as known (no parameter uncertainty);
the backtest coverage says how far that matters.

Zhongwei has one (2021) value per series, so it cannot be modelled by itself: its forecast is the
linked Ningxia series' drawn growth plus independent normal noise each year (``fit_linked``), with
the noise sd a stated assumption (``sim/params/forecast/link_growth_sd.yaml``).

Examples
--------
>>> from sim import forecast
>>> results = forecast.fit_all(forecast.load_series(), end_year=2025)   # doctest: +SKIP
>>> print(results["ningxia_rural"].summary())                          # doctest: +SKIP
>>> paths = results["zhongwei_rural"].draws(1000, rng=1)               # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.structural import UnobservedComponents

from .parameters import PARAMS_DIR, load_parameter

SERIES = "per_capita_disposable_income"
COLUMNS = ("series", "area", "group", "year", "value_yuan", "growth_pct", "status", "source")
ALPHA = 0.2            # 80% prediction intervals
FIRST_ORIGIN = 2017    # first backtest origin year
MAX_HORIZON = 4        # backtest horizons 1..4 years
MIN_OBS = 4            # years of data a backtest fit needs (3 growths)
TIE_TOL = 0.001        # mean APEs within 0.1 percentage point are a tie
MIN_CELLS = 6          # fewer backtest cells than this cannot choose: the simplest model is used
COMPARATORS = (("ningxia", "rural"), ("ningxia", "urban"), ("china", "rural"),
               ("china", "urban"), ("china", "poverty_area_rural"))
LINKS = {("zhongwei", "rural"): "ningxia_rural", ("zhongwei", "urban"): "ningxia_urban"}
JOINS = {"poverty_area_rural": ("poor_areas_rural", "alleviated_counties_rural")}
LINK_SD_FILE = PARAMS_DIR / "forecast" / "link_growth_sd.yaml"
LINK_SD_PATH = "forecast.link_growth_sd"
_FAIL = (ValueError, ArithmeticError, np.linalg.LinAlgError)
_CELL_COLUMNS = ["origin", "horizon", "year", "model", "actual", "mean", "pi_lower", "pi_upper",
                 "ape", "covered", "warnings", "error"]
_BACKTEST_COLUMNS = ["model", "horizon", "ape_mean", "coverage80", "n"]


# --------------------------------------------------------------------------- data

def load_series(path=None):
    """Read the income series as a tidy table.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the columns of ``sim/data/income_series.csv``; default that packaged file.

    Returns
    -------
    pandas.DataFrame
        Columns ``series, area, group, year, value_yuan, growth_pct, status, source``: one row per
        series, area, group and year; ``value_yuan`` in yuan per person per year (current prices),
        ``growth_pct`` the published nominal growth in percent (NaN where not recorded).
    """
    if path is None:
        with resources.as_file(resources.files("sim") / "data" / "income_series.csv") as p:
            raw = pd.read_csv(p)
    else:
        raw = pd.read_csv(path)
    return _tidy(raw, path or "sim/data/income_series.csv")


def _tidy(raw, where):
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{where}: missing columns {missing}; expected {list(COLUMNS)}")
    df = raw.astype({"year": int, "value_yuan": float, "growth_pct": float})
    dup = df.duplicated(["series", "area", "group", "year"], keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        raise ValueError(f"{where}: {first['area']} {first['group']} {first['year']} appears twice")
    return df.sort_values(["series", "area", "group", "year"]).reset_index(drop=True)


def comparator_series(series_df, area, group):
    """The yearly values of one comparator series, checked to have consecutive years.

    Parameters
    ----------
    series_df : pandas.DataFrame
        As returned by ``load_series``.
    area, group : str
        For example ``"ningxia", "rural"``. ``group="poverty_area_rural"`` joins NBS'
        ``poor_areas_rural`` (贫困地区, to 2019) and ``alleviated_counties_rural`` (脱贫县, from
        2021); a one-year gap between them (2020) is bridged by back-casting the first
        ``alleviated_counties_rural`` value with its published growth, marked ``derived``.

    Returns
    -------
    pandas.DataFrame
        Columns ``year, group, value_yuan, growth_pct, status, source``, sorted by year
        (``group`` is the source group, which differs from the argument for a joined series).
    """
    if group in JOINS:
        rows = _joined(series_df, area, *JOINS[group])
    else:
        rows = _rows(series_df, area, group)
    gaps = sorted(set(range(rows["year"].min(), rows["year"].max() + 1)) - set(rows["year"]))
    if gaps:
        raise ValueError(f"{area} {group}: years {gaps} are missing; a series must be consecutive")
    return rows.reset_index(drop=True)


def _rows(df, area, group):
    sel = df[(df["series"] == SERIES) & (df["area"] == area) & (df["group"] == group)]
    if sel.empty:
        raise KeyError(f"no {SERIES} rows for area {area!r}, group {group!r}")
    columns = ["year", "group", "value_yuan", "growth_pct", "status", "source"]
    return sel[columns].sort_values("year")


def _joined(df, area, old, new):
    before, after = _rows(df, area, old), _rows(df, area, new)
    before = before[before["year"] < after["year"].min()]
    gap = after["year"].min() - before["year"].max() - 1
    if gap > 1:
        raise ValueError(f"{area} {old} ends in {before['year'].max()} and {new} starts in "
                         f"{after['year'].min()}: more than one year to bridge")
    parts = [before, _backcast(after.iloc[0], new)] if gap == 1 else [before]
    return pd.concat(parts + [after], ignore_index=True)


def _backcast(row, group):
    if pd.isna(row["growth_pct"]):
        raise ValueError(f"{group} {row['year']}: a growth rate is needed to bridge the year "
                         "before")
    value = row["value_yuan"] / (1 + row["growth_pct"] / 100)
    source = (f"back-cast: {group} {row['year']} value {row['value_yuan']:.0f} / "
              f"(1 + {row['growth_pct']}%) on the {group} basis")
    return pd.DataFrame([{"year": row["year"] - 1, "group": group, "value_yuan": value,
                          "growth_pct": np.nan,
                          "status": "derived", "source": source}])


def link_growth_sd(year):
    """The link sd in force in ``year`` (log points per year), from its parameter file."""
    p = load_parameter(LINK_SD_FILE, LINK_SD_PATH)
    return float(p.at(max(dt.date(int(year), 1, 1), p.values[0][0])))


# --------------------------------------------------------------------------- models

class _DriftFit:
    """Random walk with drift on log income, drift uncertainty included."""

    def __init__(self, log_y):
        g = np.diff(log_y)
        if len(g) < 2:
            raise ValueError("random walk with drift needs at least 3 years")
        self.last, self.drift, self.s, self.m = log_y[-1], g.mean(), g.std(ddof=1), len(g)

    def forecast(self, h):
        k = np.arange(1, h + 1)
        return self.last + k * self.drift, self.s * np.sqrt(k + k ** 2 / self.m)

    def simulate(self, h, n, rng):
        drift = rng.normal(self.drift, self.s / np.sqrt(self.m), size=(n, 1))
        return self.last + np.cumsum(drift + rng.normal(0.0, self.s, size=(n, h)), axis=1)


class _LastGrowthFit:
    """Last log growth repeated; growth is a random walk with sd from past growth changes."""

    def __init__(self, log_y):
        g = np.diff(log_y)
        if len(g) < 2:
            raise ValueError("last growth needs at least 3 years")
        self.last, self.g, self.s = log_y[-1], g[-1], np.sqrt(np.mean(np.diff(g) ** 2))

    def forecast(self, h):
        k = np.arange(1, h + 1)
        return self.last + k * self.g, self.s * np.sqrt(np.cumsum(k ** 2))

    def simulate(self, h, n, rng):
        growth = self.g + np.cumsum(rng.normal(0.0, self.s, size=(n, h)), axis=1)
        return self.last + np.cumsum(growth, axis=1)


class _StateSpaceFit:
    """A fitted statsmodels state-space model (UnobservedComponents, ARIMA)."""

    def __init__(self, res):
        self.res = res

    def forecast(self, h):
        f = self.res.get_forecast(h)
        return np.asarray(f.predicted_mean, float), np.sqrt(np.asarray(f.var_pred_mean, float))

    def simulate(self, h, n, rng):
        sim = self.res.simulate(h, anchor="end", repetitions=n, rng=rng)
        return np.asarray(sim, float).reshape(h, n).T


class _ETSFit(_StateSpaceFit):
    """A fitted statsmodels ETSModel."""

    def forecast(self, h):
        nobs = self.res.nobs
        p = self.res.get_prediction(start=nobs, end=nobs + h - 1)
        return np.asarray(p.predicted_mean, float), np.sqrt(np.asarray(p.forecast_variance, float))


def _fit_uc(log_y, spec="smooth trend"):
    return _StateSpaceFit(UnobservedComponents(log_y, spec).fit(disp=False))


def _fit_arima(log_y):
    return _StateSpaceFit(ARIMA(log_y, order=(1, 1, 0), trend="t").fit())


def _fit_ets(log_y, damped=False):
    model = ETSModel(pd.Series(log_y), error="add", trend="add", damped_trend=damped)
    return _ETSFit(model.fit(disp=False))


@dataclass(frozen=True)
class ModelSpec:
    """A candidate model: name, description, complexity rank (ties go to the lower) and fitter."""

    name: str
    label: str
    complexity: int
    fit: Callable = field(repr=False)


MODELS = {m.name: m for m in [
    ModelSpec("rw_drift", "random walk with drift on log income (naive)", 1, _DriftFit),
    ModelSpec("last_growth", "last log growth repeated (naive)", 2, _LastGrowthFit),
    ModelSpec("uc_smooth_trend", "UnobservedComponents 'smooth trend' on log income", 3, _fit_uc),
    ModelSpec("arima_110_drift", "ARIMA(1,1,0) with drift on log income (AR(1) on log growth)",
              4, _fit_arima),
    ModelSpec("ets_aan", "ETS(A,A,N) on log income", 5, _fit_ets),
    ModelSpec("uc_local_linear_trend", "UnobservedComponents 'local linear trend' on log income",
              6, lambda y: _fit_uc(y, "local linear trend")),
    ModelSpec("ets_aadn", "ETS(A,Ad,N), damped trend, on log income", 6,
              lambda y: _fit_ets(y, damped=True)),
]}
DEFAULT_MODELS = ("rw_drift", "last_growth", "uc_smooth_trend", "arima_110_drift", "ets_aan")


@contextlib.contextmanager
def _captured():
    """Record warnings (statsmodels ConvergenceWarning and the like) instead of showing them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _fit_forecast(spec, log_y, h):
    """Fit one model, forecast ``h`` years: (fitted, mu, sd, warning texts); raises on failure."""
    with _captured() as caught:
        fitted = spec.fit(np.asarray(log_y, float))
        mu, sd = fitted.forecast(h)
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sd))):
        raise ValueError(f"{spec.name}: non-finite forecast")
    return fitted, mu, sd, sorted({f"{w.category.__name__}: {w.message}" for w in caught})


def _z(alpha):
    return stats.norm.ppf(1 - alpha / 2)


# --------------------------------------------------------------------------- backtest

def rolling_backtest(years, values, models=DEFAULT_MODELS, first_origin=FIRST_ORIGIN,
                     max_horizon=MAX_HORIZON, min_obs=MIN_OBS):
    """Rolling-origin backtest of the candidate models on one series.

    Parameters
    ----------
    years : array of int
        Consecutive years.
    values : array of float
        Income, yuan per person per year.
    models : sequence of str
        Names in ``MODELS``.
    first_origin : int
        First origin year; origins also need ``min_obs`` years of data up to them.
    max_horizon : int
        Longest horizon, years.
    min_obs : int
        Years of data a fit needs.

    Returns
    -------
    pandas.DataFrame
        One row per origin, horizon and model: ``origin, horizon, year, model, actual, mean,
        pi_lower, pi_upper`` (yuan; 80% interval), ``ape`` (absolute percentage error of
        ``mean`` as a fraction), ``covered`` (1.0 if the actual is inside the interval),
        ``warnings`` (count) and ``error`` (why a fit failed; its numbers are then NaN).
    """
    years, values = np.asarray(years, int), np.asarray(values, float)
    rows = []
    for i in range(len(years) - 1):
        if years[i] >= first_origin and i + 1 >= min_obs:
            h = min(max_horizon, len(years) - 1 - i)
            for name in models:
                rows += _origin_cells(MODELS[name], years, values, i, h)
    return pd.DataFrame(rows, columns=_CELL_COLUMNS)


def _origin_cells(spec, years, values, i, h):
    try:
        _, mu, sd, caught = _fit_forecast(spec, np.log(values[: i + 1]), h)
        error = ""
    except _FAIL as e:
        mu, sd, caught = np.full(h, np.nan), np.full(h, np.nan), []
        error = f"{type(e).__name__}: {e}"
    z, actual = _z(ALPHA), values[i + 1: i + 1 + h]
    mean, lower, upper = np.exp(mu + sd ** 2 / 2), np.exp(mu - z * sd), np.exp(mu + z * sd)
    covered = np.where(np.isnan(mu), np.nan, (lower <= actual) & (actual <= upper))
    return [{"origin": years[i], "horizon": k + 1, "year": years[i + 1 + k], "model": spec.name,
             "actual": actual[k], "mean": mean[k], "pi_lower": lower[k], "pi_upper": upper[k],
             "ape": abs(mean[k] - actual[k]) / actual[k], "covered": covered[k],
             "warnings": len(caught), "error": error} for k in range(h)]


def _common(cells):
    """The cells where every model that forecast at all produced a number."""
    wide = cells.pivot_table(index=["origin", "horizon"], columns="model", values="ape",
                             dropna=False, aggfunc="first")
    wide = wide.loc[:, wide.notna().any()].dropna()
    keep = cells.set_index(["origin", "horizon"]).index.isin(wide.index)
    return cells[keep & cells["model"].isin(wide.columns)]


def summarise_backtest(cells):
    """Mean APE and 80% coverage by model and horizon, over the cells common to all models.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, horizon, ape_mean, coverage80, n`` (APE and coverage as fractions).
    """
    if cells.empty:
        return pd.DataFrame(columns=_BACKTEST_COLUMNS)
    out = _common(cells).groupby(["model", "horizon"], sort=False).agg(
        ape_mean=("ape", "mean"), coverage80=("covered", "mean"), n=("ape", "size"))
    return out.reset_index()[_BACKTEST_COLUMNS]


def score_models(cells, models=DEFAULT_MODELS, tie_tol=TIE_TOL, min_cells=MIN_CELLS):
    """Overall backtest score per model, ranked best first.

    Parameters
    ----------
    cells : pandas.DataFrame
        As returned by ``rolling_backtest``.
    models : sequence of str
        The candidates.
    tie_tol : float
        Mean APEs (fractions) within this of the best are a tie, broken by complexity.
    min_cells : int
        With fewer common cells than this the backtest cannot separate the models, and they are
        ranked by complexity alone (the naive random walk with drift first).

    Returns
    -------
    pandas.DataFrame
        Columns ``model, ape_mean, coverage80, n, complexity, chosen``: the tied models by
        complexity, then the others by mean APE; models without a score last. ``chosen`` is
        set by ``fit_comparator``.
    """
    common = _common(cells) if not cells.empty else cells
    scores = common.groupby("model").agg(ape_mean=("ape", "mean"), coverage80=("covered", "mean"),
                                         n=("ape", "size")).reindex(list(models))
    scores["complexity"] = [MODELS[m].complexity for m in scores.index]
    if scores["n"].max() >= min_cells:
        tied = scores["ape_mean"] <= scores["ape_mean"].min() + tie_tol
    else:
        tied = pd.Series(True, index=scores.index)
    rest = scores[~tied]
    rest = rest.assign(missing=rest["ape_mean"].isna())
    rest = rest.sort_values(["missing", "ape_mean", "complexity"]).drop(columns="missing")
    scores = pd.concat([scores[tied].sort_values("complexity"), rest])
    scores["chosen"] = False
    return scores.rename_axis("model").reset_index()


def _rule(tie_tol, min_cells):
    return (f"lowest MAPE wins; ties within {tie_tol * 100:.2g} pp go to the simpler model; "
            f"with fewer than {min_cells} cells, the simplest")


# --------------------------------------------------------------------------- results

@dataclass(eq=False)
class ComparatorForecast:
    """Forecast of one comparator series, shaped like statsmodels results.

    Attributes
    ----------
    key : str
        For example ``"ningxia_rural"``.
    area, group : str
    history : pandas.DataFrame
        The data used: ``year, group, value_yuan, growth_pct, status, source``.
    years : numpy.ndarray of int
        Forecast years, ``last_year + 1`` to the end year.
    log_mean, log_sd : numpy.ndarray
        Mean and sd of the Gaussian predictive distribution of log income, per forecast year.
    model_name, model_label : str
        The chosen model (``MODELS`` key, or ``"linked"``) and its description.
    cells : pandas.DataFrame
        Backtest cells (see ``rolling_backtest``); empty for a linked series.
    scores : pandas.DataFrame
        Overall backtest scores (see ``score_models``); empty for a linked series.
    notes : list of str
        Caveats: data status, joins, failed fits, links.
    fit_warnings : list of str
        Warnings raised by the final fit, recorded instead of shown.
    parent : ComparatorForecast or None
        For a linked series, the series its growth follows.
    link_sd : float or None
        For a linked series, the extra growth noise, log points per year.
    selection_rule : str
        How the model was chosen, for the summary.
    """

    key: str
    area: str
    group: str
    history: pd.DataFrame = field(repr=False)
    years: np.ndarray
    log_mean: np.ndarray = field(repr=False)
    log_sd: np.ndarray = field(repr=False)
    sampler: Callable = field(repr=False)
    model_name: str
    model_label: str
    cells: pd.DataFrame = field(repr=False, default_factory=lambda: pd.DataFrame(
        columns=_CELL_COLUMNS))
    scores: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    notes: list = field(repr=False, default_factory=list)
    fit_warnings: list = field(repr=False, default_factory=list)
    parent: "ComparatorForecast | None" = field(repr=False, default=None)
    link_sd: float | None = None
    selection_rule: str = field(repr=False, default="")

    @property
    def last_year(self):
        """The last year with data (int)."""
        return int(self.history["year"].max())

    @property
    def last_value(self):
        """The value in the last year with data, yuan."""
        return float(self.history["value_yuan"].iloc[-1])

    @property
    def backtest(self):
        """Backtest by model and horizon: ``model, horizon, ape_mean, coverage80, n``."""
        return summarise_backtest(self.cells)

    def frame(self, alpha=ALPHA):
        """Forecast table in yuan per person per year.

        Parameters
        ----------
        alpha : float
            The interval covers ``1 - alpha`` (default 0.2: an 80% interval).

        Returns
        -------
        pandas.DataFrame
            ``year, mean, pi_lower, pi_upper``: ``mean`` is the predictive mean
            ``exp(mu + sd^2 / 2)``; the bounds are the ``alpha / 2`` and ``1 - alpha / 2``
            quantiles.
        """
        mu, sd, z = self.log_mean, self.log_sd, _z(alpha)
        return pd.DataFrame({"year": self.years, "mean": np.exp(mu + sd ** 2 / 2),
                             "pi_lower": np.exp(mu - z * sd), "pi_upper": np.exp(mu + z * sd)})

    def log_draws(self, n=1000, rng=None):
        """Simulated paths of log income, ``n`` x forecast years."""
        rng = np.random.default_rng(rng)
        with _captured():
            return np.asarray(self.sampler(int(n), rng), float)

    def draws(self, n=1000, rng=None):
        """Simulated income paths from the chosen model's predictive distribution.

        Parameters
        ----------
        n : int
            Number of paths.
        rng : numpy.random.Generator or int or None
            Random source (a seed is turned into a Generator).

        Returns
        -------
        numpy.ndarray
            ``n`` x ``len(self.years)``, yuan per person per year.
        """
        return np.exp(self.log_draws(n, rng))

    def expected_log_path(self, start):
        """Mean and variance of log income for ``start`` .. the end year (observed years: var 0)."""
        if not self.history["year"].min() <= start <= self.last_year:
            raise ValueError(f"{self.key}: {start} is outside its data years "
                             f"{self.history['year'].min()}-{self.last_year}")
        obs = self.history[self.history["year"] >= start]["value_yuan"].to_numpy(float)
        return (np.r_[np.log(obs), self.log_mean], np.r_[np.zeros(len(obs)), self.log_sd ** 2])

    def log_paths_from(self, start, n, rng):
        """Log income paths for ``start`` .. the end year, observed values where known."""
        obs = self.history[self.history["year"] >= start]["value_yuan"].to_numpy(float)
        drawn = self.log_draws(n, rng)
        return np.hstack([np.broadcast_to(np.log(obs), (len(drawn), len(obs))), drawn])

    def summary(self, alpha=ALPHA):
        """A readable text report: data, chosen model, backtest table, forecasts and notes."""
        return "\n".join(_summary_lines(self, alpha)) + "\n"


def _summary_lines(r, alpha):
    h = r.history
    status = ", ".join(f"{n} {s}" for s, n in h["status"].value_counts().items())
    span = f"{h['year'].min()}-{r.last_year}" if len(h) > 1 else str(r.last_year)
    lines = [f"Comparator forecast: {r.key} ({r.area}, {r.group}) - per-capita disposable "
             "income, yuan per person per year, modelled in logs",
             f"Data: {span} ({len(h)} value{'s' * (len(h) > 1)}: {status}); "
             f"{r.last_year} = {r.last_value:,.0f} yuan",
             f"Chosen model: {r.model_name} - {r.model_label}", ""]
    lines += _backtest_lines(r) + [""]
    lines += _forecast_lines(r, alpha)
    notes = r.notes + [f"final fit warning: {w}" for w in r.fit_warnings]
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    return lines


def _backtest_lines(r):
    if r.cells.empty:
        return ["Backtest: none (too few years); see the notes for what the forecast rests on."]
    bt, sc = r.backtest, r.scores.set_index("model")
    hs = sorted(bt["horizon"].unique())
    origins = r.cells["origin"]
    head = (f"{'model':<18}" + "".join(f"{'MAPE h=' + str(k):>10}" for k in hs)
            + f"{'MAPE all':>10}{'cov80':>8}{'n':>4}")
    lines = [f"Rolling-origin backtest (origins {origins.min()}-{origins.max()}, horizons 1-"
             f"{max(hs)}; MAPE in %, cov80 = share of actuals inside the 80% interval; "
             f"{r.selection_rule}):",
             head]
    for model, s in sc.iterrows():
        if np.isnan(s["ape_mean"]):
            lines.append(f"{model:<18}   (failed at every origin)")
            continue
        b = bt[bt["model"] == model].set_index("horizon")
        cells = "".join(f"{b.loc[k, 'ape_mean'] * 100:>10.2f}" if k in b.index else f"{'':>10}"
                        for k in hs)
        mark = " <- chosen" if model == r.model_name else ""
        lines.append(f"{model:<18}{cells}{s['ape_mean'] * 100:>10.2f}{s['coverage80']:>8.2f}"
                     f"{int(s['n']):>4}{mark}")
    return lines


def _forecast_lines(r, alpha):
    level = round((1 - alpha) * 100)
    lines = [f"Forecast, yuan (mean and {level}% interval; growth of the mean on the year before):",
             f"{'year':<6}{'mean':>10}{'lower':>10}{'upper':>10}{'growth':>9}"]
    prev = r.last_value
    for row in r.frame(alpha).itertuples():
        lines.append(f"{row.year:<6}{row.mean:>10,.0f}{row.pi_lower:>10,.0f}{row.pi_upper:>10,.0f}"
                     f"{(row.mean / prev - 1) * 100:>8.1f}%")
        prev = row.mean
    return lines


# --------------------------------------------------------------------------- fitting

def fit_comparator(series_df, area, group, end_year=2025, models=DEFAULT_MODELS,
                   first_origin=FIRST_ORIGIN, max_horizon=MAX_HORIZON, min_obs=MIN_OBS,
                   tie_tol=TIE_TOL, min_cells=MIN_CELLS):
    """Backtest the candidate models on one series, choose one and forecast to ``end_year``.

    Parameters
    ----------
    series_df : pandas.DataFrame
        As returned by ``load_series`` (rows may extend past 2021).
    area, group : str
        The series, e.g. ``"ningxia", "rural"``; ``"china", "poverty_area_rural"`` is the joined
        poverty-area series (贫困地区 2016-2019, back-cast 2020, 脱贫县 from 2021), which has a
        definitional break at 2020 that the results' notes state.
    end_year : int
        Last forecast year; the first is the series' last data year + 1.
    models : sequence of str
        Candidate names in ``MODELS``.
    first_origin, max_horizon, min_obs, tie_tol, min_cells
        Backtest settings (see ``rolling_backtest`` and ``score_models``).

    Returns
    -------
    ComparatorForecast
    """
    rows = comparator_series(series_df, area, group)
    years, values = rows["year"].to_numpy(int), rows["value_yuan"].to_numpy(float)
    h = int(end_year) - int(years[-1])
    if h < 1:
        raise ValueError(f"{area} {group}: end_year {end_year} is not after the last data year "
                         f"{years[-1]}")
    cells = rolling_backtest(years, values, models, first_origin, max_horizon, min_obs)
    scores = score_models(cells, models, tie_tol, min_cells)
    spec, fitted, mu, sd, caught, notes = _final_fit(scores["model"], np.log(values), h)
    scores.loc[scores["model"] == spec.name, "chosen"] = True
    k, note = interval_scale(cells[cells["model"] == spec.name], min_cells)
    return ComparatorForecast(
        key=f"{area}_{group}", area=area, group=group, history=rows,
        years=np.arange(years[-1] + 1, end_year + 1), log_mean=mu, log_sd=sd * k,
        sampler=lambda n, rng: mu + k * (fitted.simulate(h, n, rng) - mu), model_name=spec.name,
        model_label=spec.label, cells=cells, scores=scores,
        notes=notes + _data_notes(rows, group) + _backtest_notes(cells, scores, spec.name,
                                                                 min_cells) + [note],
        fit_warnings=caught, selection_rule=_rule(tie_tol, min_cells))


def interval_scale(cells, min_cells=MIN_CELLS, alpha=ALPHA):
    """Factor widening a model's intervals so that its backtest errors fall inside as often as
    they should: the ``1 - alpha`` quantile of |log error| / predicted log sd over the backtest
    cells, divided by the normal quantile, and at least 1. Statsmodels' intervals leave out
    parameter uncertainty and short series understate volatility, so raw intervals are narrow.

    Returns
    -------
    k : float
    note : str
    """
    cells = cells[cells["error"] == ""].dropna(subset=["pi_lower", "pi_upper", "actual"])
    cells = cells[cells["pi_upper"] > cells["pi_lower"]]  # a zero-width interval has no scale
    if len(cells) < min_cells:
        return 1.0, (f"intervals not calibrated: only {len(cells)} backtest cells "
                     f"(fewer than {min_cells})")
    z = _z(alpha)
    lo, hi = np.log(cells["pi_lower"].to_numpy()), np.log(cells["pi_upper"].to_numpy())
    ratio = np.abs(np.log(cells["actual"].to_numpy()) - (lo + hi) / 2) / ((hi - lo) / (2 * z))
    k = max(1.0, float(np.quantile(ratio, 1 - alpha)) / z)
    return k, (f"intervals widened by x{k:.2f} so that {1 - alpha:.0%} of the {len(cells)} backtest "
               "errors would have fallen inside (calibrated on the backtest)")


def _final_fit(ranked, log_y, h):
    """Fit the best-ranked model that fits on the whole series."""
    notes = []
    for name in ranked:
        try:
            fitted, mu, sd, caught = _fit_forecast(MODELS[name], log_y, h)
            return MODELS[name], fitted, mu, sd, caught, notes
        except _FAIL as e:
            notes.append(f"{name} ranked higher but failed on the full series ({e}); skipped")
    raise ValueError("no candidate model could be fitted: " + "; ".join(notes))


def _data_notes(rows, group):
    notes = []
    weak = rows[rows["status"] != "verified"]
    if len(weak):
        notes.append(f"{len(weak)} of {len(rows)} values are not verified "
                     f"({', '.join(f'{y} {s}' for y, s in zip(weak['year'], weak['status']))})")
    if group in JOINS:
        old, new = JOINS[group]
        bridge = rows[rows["status"].eq("derived") & rows["source"].str.startswith("back-cast")]
        notes.append(f"joined series with a definitional break: NBS {old} (贫困地区农村居民) "
                     f"to {rows[rows['group'] == old]['year'].max()}, then {new} (脱贫县农村居民)"
                     + (f"; {bridge['year'].iloc[0]} is back-cast from the first {new} value and "
                        "its published comparable-basis growth, so the join is on the new basis"
                        if len(bridge) else "")
                     + "; the two cover nearly the same counties, but the break is not measured")
    return notes


def _backtest_notes(cells, scores, chosen, min_cells):
    notes = []
    failed = cells[cells["error"] != ""]
    for model, errs in failed.groupby("model"):
        notes.append(f"{model} failed at origins {sorted(errs['origin'].unique())}; those cells "
                     f"are left out for every model ({errs['error'].iloc[0][:80]})")
    s = scores.set_index("model").loc[chosen]
    if s["n"] >= 5 and s["coverage80"] < 0.6:
        notes.append(f"the chosen model's 80% intervals covered only {s['coverage80']:.0%} of "
                     f"{int(s['n'])} backtest actuals: they are likely too narrow")
    n = int(scores["n"].fillna(0).max())
    if n < min_cells:
        notes.append(f"only {n} backtest cells (fewer than {min_cells}): too few to choose "
                     f"between the models, so the simplest candidate ({chosen}) is used; the "
                     "ranking above is for information")
    else:
        notes.append(f"backtest has {n} cells per model; the choice is indicative with so few")
    return notes


def fit_linked(base_value, base_year, parent, link_sd, key=None, area="zhongwei", group=None,
               history=None):
    """A series whose yearly log growth is the parent's drawn growth plus independent noise.

    Parameters
    ----------
    base_value : float
        The linked series' value in ``base_year``, yuan per person per year.
    base_year : int
        Its (last) data year; must lie within the parent's data years.
    parent : ComparatorForecast
        The series whose growth is followed (observed growth where the parent has data after
        ``base_year``, drawn growth afterwards).
    link_sd : float
        Sd of the yearly noise added to the parent's log growth, log points per year
        (``sim/params/forecast/link_growth_sd.yaml``).
    key, area, group : str, optional
        Names for the result; ``group`` defaults to the parent's.
    history : pandas.DataFrame, optional
        The linked series' data rows (``year, group, value_yuan, growth_pct, status,
        source``); default a single row built from ``base_value``.

    Returns
    -------
    ComparatorForecast
        Forecast years ``base_year + 1`` to the parent's end year; log variance is the parent's
        cumulative log-growth variance plus ``h * link_sd**2`` after ``h`` years.
    """
    group = group or parent.group
    base_year, link_sd = int(base_year), float(link_sd)
    history = _link_history(base_value, base_year, history, parent)
    mu_p, var_p = parent.expected_log_path(base_year)
    h = np.arange(1, len(mu_p))
    mu = np.log(base_value) + mu_p[1:] - mu_p[0]
    sd = np.sqrt(var_p[1:] + h * link_sd ** 2)

    def sampler(n, rng):
        growth = np.diff(parent.log_paths_from(base_year, n, rng), axis=1)
        return np.log(base_value) + np.cumsum(growth + rng.normal(0, link_sd, growth.shape), axis=1)

    return ComparatorForecast(
        key=key or f"{area}_{group}", area=area, group=group, history=history,
        years=np.arange(base_year + 1, base_year + 1 + len(h)), log_mean=mu, log_sd=sd,
        sampler=sampler, model_name="linked",
        model_label=f"{parent.key}'s growth ({parent.model_name}) + N(0, {link_sd:g}^2) per year",
        notes=_link_notes(parent, link_sd, sd, var_p[1:], history), parent=parent,
        link_sd=link_sd)


def _link_history(base_value, base_year, history, parent):
    if history is None:
        history = pd.DataFrame([{"year": base_year, "group": "", "value_yuan": float(base_value),
                                 "growth_pct": np.nan, "status": "given", "source": "fit_linked"}])
    if int(history["year"].max()) != base_year:
        raise ValueError(f"base_year {base_year} must be the history's last year")
    if not parent.history["year"].min() <= base_year <= parent.last_year:
        raise ValueError(f"{parent.key} has data for {parent.history['year'].min()}-"
                         f"{parent.last_year}; the linked base year {base_year} must lie within")
    return history.reset_index(drop=True)


def _link_notes(parent, link_sd, sd, var_parent, history):
    z, last = _z(ALPHA), len(sd) - 1
    extra = np.sqrt(len(sd)) * link_sd
    weak = history[history["status"] != "verified"]
    notes = [f"no backtest of its own ({len(history)} year(s) of data); its growth follows "
             f"{parent.key} (chosen model {parent.model_name}, see that series' backtest)",
             f"link uncertainty: each year's log growth gets independent N(0, {link_sd:g}^2) "
             f"noise (assumption, {LINK_SD_PATH}); by the last year it adds {extra:.3f} in log sd "
             f"(total {sd[last]:.3f} against the parent's {np.sqrt(var_parent[last]):.3f}), "
             f"about +/-{z * extra:.1%} on the 80% interval"]
    if len(weak):
        notes.append("base value(s) not verified: " + "; ".join(
            f"{y} {v:,.0f} yuan {s} ({src})" for y, v, s, src in
            zip(weak["year"], weak["value_yuan"], weak["status"], weak["source"]))
            + "; taken as exact")
    return notes


def fit_all(series_df=None, end_year=2025, link_sd=None, models=DEFAULT_MODELS):
    """Forecast every comparator series.

    Parameters
    ----------
    series_df : pandas.DataFrame, optional
        As returned by ``load_series``; default the packaged data.
    end_year : int
        Last forecast year.
    link_sd : float, optional
        Link noise for the Zhongwei series, log points per year; default the parameter
        ``forecast.link_growth_sd`` in force in the first forecast year.
    models : sequence of str
        Candidate model names.

    Returns
    -------
    dict of str to ComparatorForecast
        Keys ``ningxia_rural, ningxia_urban, china_rural, china_urban,
        china_poverty_area_rural, zhongwei_rural, zhongwei_urban``; Zhongwei rural is linked to
        Ningxia rural and Zhongwei urban to Ningxia urban.
    """
    df = load_series() if series_df is None else series_df
    out = {f"{a}_{g}": fit_comparator(df, a, g, end_year, models) for a, g in COMPARATORS}
    for (area, group), parent in LINKS.items():
        rows = comparator_series(df, area, group)
        base_year = int(rows["year"].iloc[-1])
        sd = link_growth_sd(base_year + 1) if link_sd is None else link_sd
        out[f"{area}_{group}"] = fit_linked(rows["value_yuan"].iloc[-1], base_year, out[parent],
                                            sd, key=f"{area}_{group}", area=area, group=group,
                                            history=rows)
    return out


def backtest_table(results):
    """All backtests in one table.

    Parameters
    ----------
    results : dict of str to ComparatorForecast
        As returned by ``fit_all``.

    Returns
    -------
    pandas.DataFrame
        ``series, model, horizon, ape_mean, coverage80, n, chosen``; linked series (no backtest)
        are left out.
    """
    parts = [r.backtest.assign(series=key, chosen=lambda d, r=r: d["model"] == r.model_name)
             for key, r in results.items() if not r.cells.empty]
    if not parts:
        return pd.DataFrame(columns=["series"] + _BACKTEST_COLUMNS + ["chosen"])
    return pd.concat(parts, ignore_index=True)[["series"] + _BACKTEST_COLUMNS + ["chosen"]]
