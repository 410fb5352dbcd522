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
from .backtest import (BACKTEST_COLUMNS, MAX_HORIZON, MIN_OBS, POOLED, horizon_sds, rolling_backtest,
                       score_cells, summarise)
from .fit import DEFAULT_AS_OF, Forecasts, backtest_table, fit_all, interval_check
from .joint import joint_log_paths, residual_correlations
from .link import fit_linked
from .models import ALPHA, ALPHA_WIDE, DEFAULT_MODELS, MODELS, ModelSpec
from .results import ComparatorForecast
from .series import (COLUMNS, COMPARATORS, JOINS, LINK_SD_FILE, LINK_SD_PATH, LINKS, SERIES,
                     comparator_series, link_growth_sd, load_series)

__all__ = ["ALPHA", "ALPHA_WIDE", "BACKTEST_COLUMNS", "COLUMNS", "COMPARATORS", "ComparatorForecast",
           "DEFAULT_AS_OF", "DEFAULT_MODELS", "Forecasts", "JOINS", "LINKS", "LINK_SD_FILE",
           "LINK_SD_PATH", "MAX_HORIZON", "MIN_OBS", "MODELS", "ModelSpec", "POOLED", "SERIES",
           "backtest_table", "comparator_series", "fit_all", "fit_linked", "horizon_sds",
           "interval_check", "joint_log_paths", "link_growth_sd", "load_series",
           "residual_correlations", "rolling_backtest", "score_cells", "summarise"]
