"""A fitted comparator forecast: intervals, tables and simulated paths."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .models import ALPHA, ALPHA_WIDE, _z
from .summary import _summary_lines


@dataclass(eq=False)
class ComparatorForecast:
    """Forecast of one comparator series, shaped like statsmodels results.

    The predictive distribution of log income in forecast year k is normal with mean
    ``log_mean[k]`` and sd ``log_sd[k]``; a path adds independent yearly shocks of sd
    ``shock_sd`` (so that the cumulated variance is ``log_sd ** 2``).

    Attributes
    ----------
    key : str
        ``<area>_<group>``, for example ``"ningxia_rural"``.
    area, group : str
    history : pandas.DataFrame
        The data used (the information set): ``year, group, value_yuan, growth_pct, status,
        source``.
    years : numpy.ndarray of int
        Forecast years, ``last_year + 1`` to the end year.
    log_mean, log_sd : numpy.ndarray
        Mean and sd of log income per forecast year.
    model_name, model_label : str
        The chosen model (or ``"linked"``) and its description.
    as_of : int
        The last year of the information set.
    notes : list of str
        Caveats: data status, joins, links, interval checks.
    parent : ComparatorForecast or None
        For a linked series, the series whose growth it follows.
    link_sd : float or None
        For a linked series, the sd of its yearly growth gap to the parent, log points.
    """

    key: str
    area: str
    group: str
    history: pd.DataFrame = field(repr=False)
    years: np.ndarray
    log_mean: np.ndarray = field(repr=False)
    log_sd: np.ndarray = field(repr=False)
    model_name: str
    model_label: str
    as_of: int
    notes: list = field(repr=False, default_factory=list)
    parent: "ComparatorForecast | None" = field(repr=False, default=None)
    link_sd: float | None = None

    @property
    def last_year(self):
        """The last year with data (int)."""
        return int(self.history["year"].max())

    @property
    def last_value(self):
        """The value in the last year with data, yuan."""
        return float(self.history["value_yuan"].iloc[-1])

    @property
    def shock_sd(self):
        """Sd of each forecast year's own shock to log income (own part only for a linked one)."""
        var = self.log_sd ** 2 if self.parent is None else np.arange(1, len(self.years) + 1) * self.link_sd ** 2
        return np.sqrt(np.diff(np.r_[0.0, var]))

    def frame(self, alpha=ALPHA):
        """Forecast table in yuan per person per year.

        Returns
        -------
        pandas.DataFrame
            ``year, mean, pi_lower, pi_upper``: the lognormal mean ``exp(mu + sd^2 / 2)`` and the
            ``alpha / 2`` and ``1 - alpha / 2`` quantiles.
        """
        mu, sd, z = self.log_mean, self.log_sd, _z(alpha)
        return pd.DataFrame({"year": self.years, "mean": np.exp(mu + sd ** 2 / 2),
                             "pi_lower": np.exp(mu - z * sd), "pi_upper": np.exp(mu + z * sd)})

    def table(self):
        """The contract rows: ``series, year, mean, lo80, hi80, lo95, hi95, model, as_of``."""
        f80, f95 = self.frame(ALPHA), self.frame(ALPHA_WIDE)
        return pd.DataFrame({"series": self.key, "year": self.years, "mean": f80["mean"],
                             "lo80": f80["pi_lower"], "hi80": f80["pi_upper"],
                             "lo95": f95["pi_lower"], "hi95": f95["pi_upper"],
                             "model": self.model_name, "as_of": self.as_of})

    def observed_from(self, start):
        """Log income observed from ``start`` to the last data year."""
        if not self.history["year"].min() <= start <= self.last_year:
            raise ValueError(f"{self.key}: {start} is outside its data years "
                             f"{self.history['year'].min()}-{self.last_year}")
        return np.log(self.history[self.history["year"] >= start]["value_yuan"].to_numpy(float))

    def log_paths(self, z):
        """Log income paths from standard normal shocks ``z`` (paths x forecast years)."""
        return self.log_mean + np.cumsum(self.shock_sd * z, axis=1)

    def log_paths_from(self, start, n, rng):
        """This series alone: ``n`` log paths from ``start`` to the end year, observed years as
        data (for joint draws of several series use ``sim.forecast.joint.joint_log_paths``)."""
        from .joint import joint_log_paths
        own = {self.key: self} if self.parent is None else {self.key: self, self.parent.key: self.parent}
        return joint_log_paths(own, [self.key], n, rng, start)[self.key]

    def draws(self, n=1000, rng=None):
        """``n`` simulated income paths over the forecast years, yuan per person per year."""
        paths = self.log_paths_from(self.last_year, int(n), np.random.default_rng(rng))
        return np.exp(paths[:, 1:])

    def summary(self, alpha=ALPHA):
        """A readable text report: information set, chosen model, forecasts and notes."""
        return "\n".join(_summary_lines(self, alpha)) + "\n"
