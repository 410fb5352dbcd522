"""Forecasts of the comparator income series on an explicit information set, chosen by a pooled backtest.

Targets T2-T4 (DESIGN.md section 1) compare migrants' income with groups the household model does
not simulate: rural and urban residents of Ningxia, of China and of Zhongwei, and the rural
population of the poverty areas. This package forecasts those series from the data up to an
``as_of`` year (default 2021) and returns intervals and jointly drawn paths, which the target
probabilities combine with the household model's replications. See ``docs/forecast.md``.

Rooms: ``series`` (loading, validation, joins), ``models`` (growth models, CRPS), ``backtest``
(pooled rolling-origin backtest, calibration, choice), ``results`` (one series' forecast),
``link`` (Zhongwei follows Ningxia), ``joint`` (correlated draws), ``fit`` (all of it on one
information set), ``readings`` (the plan's own expectation), ``summary`` and ``output`` (printed
and written results) and ``section`` (report); the fan chart with realized points is
``sim.charts.realized``.

Examples
--------
>>> from sim import forecast
>>> fits = forecast.fit_all(forecast.load_series(), as_of=2021)     # doctest: +SKIP
>>> print(fits["ningxia_rural"].summary())                          # doctest: +SKIP
>>> paths = forecast.joint_log_paths(fits, ["zhongwei_rural", "zhongwei_urban"], 1000,
...                                  np.random.default_rng(1), 2021)  # doctest: +SKIP
"""
from .backtest import (BACKTEST_COLUMNS, MAX_HORIZON, MIN_OBS, POOLED, growth_spread, horizon_sds,
                       predictive_sd, rolling_backtest, score_cells, summarise)
from .fit import DEFAULT_AS_OF, Forecasts, backtest_table, fit_all, half_width, interval_check
from .joint import joint_log_paths, residual_correlations
from .link import fit_linked
from .models import ALPHA, ALPHA_WIDE, DEFAULT_MODELS, MODELS, ModelSpec
from .results import ComparatorForecast
from .series import (COLUMNS, COMPARATORS, JOINS, LINK_SD_FILE, LINK_SD_PATH, LINKS, SERIES,
                     comparator_series, link_growth_sd, load_series)

__all__ = ["ALPHA", "ALPHA_WIDE", "BACKTEST_COLUMNS", "COLUMNS", "COMPARATORS", "ComparatorForecast",
           "DEFAULT_AS_OF", "DEFAULT_MODELS", "Forecasts", "JOINS", "LINKS", "LINK_SD_FILE",
           "LINK_SD_PATH", "MAX_HORIZON", "MIN_OBS", "MODELS", "ModelSpec", "POOLED", "SERIES",
           "backtest_table", "comparator_series", "fit_all", "fit_linked", "growth_spread",
           "half_width", "horizon_sds", "interval_check", "joint_log_paths", "link_growth_sd", "load_series",
           "predictive_sd", "residual_correlations", "rolling_backtest", "score_cells", "summarise"]
