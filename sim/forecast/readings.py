"""The plan reading of the Zhongwei comparators: the city plan's own expected growth (seed 004)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..parameters import PARAMS_DIR, load_parameter

FORECAST, PLAN = "forecast", "plan"
READINGS = (FORECAST, PLAN)
# Series -> (parameter file, dotted name) of the plan's expected yearly growth (/1).
PLAN_GROWTH = {"zhongwei_rural": (PARAMS_DIR / "forecast" / "plan_growth_rural.yaml",
                                  "forecast.plan_growth_rural"),
               "zhongwei_urban": (PARAMS_DIR / "forecast" / "plan_growth_urban.yaml",
                                  "forecast.plan_growth_urban")}


def plan_growth(key, year):
    """The plan's expected growth of series ``key`` in ``year`` (/1), from its parameter file."""
    file, path = PLAN_GROWTH[key]
    p = load_parameter(file, path)
    return float(p.at(max(dt.date(int(year), 1, 1), p.values[0][0])))


def plan_paths(forecasts, replications, first=2021, last=2025):
    """Each Zhongwei comparator under the plan reading, the same path in every replication.

    Parameters
    ----------
    forecasts : dict of str to ComparatorForecast
        For the observed base values (``first`` must be an observed year).
    replications : int
    first, last : int
        Years of the paths.

    Returns
    -------
    dict of pandas.DataFrame
        ``key -> replication x year`` (yuan per person per year): the observed value in
        ``first``, then growth ``plan_growth(key, year)`` each year.
    """
    out = {}
    for key in PLAN_GROWTH:
        base = float(np.exp(forecasts[key].observed_from(first)[0]))
        years = list(range(first, last + 1))
        path = base * np.cumprod([1.0] + [1 + plan_growth(key, y) for y in years[1:]])
        out[key] = pd.DataFrame(np.tile(path, (int(replications), 1)), columns=years)
    return out
