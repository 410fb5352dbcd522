"""A fitted comparator forecast: intervals, tables and simulated paths."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .backtest import _CELL_COLUMNS, summarise_backtest
from .models import ALPHA, _captured, _z
from .summary import _summary_lines


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
