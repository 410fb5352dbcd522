"""The comparator income series: loading, validation, joins and the Zhongwei link parameter."""
from __future__ import annotations

import datetime as dt
from importlib import resources

import numpy as np
import pandas as pd

from ..parameters import PARAMS_DIR, load_parameter

SERIES = "per_capita_disposable_income"
COLUMNS = ("series", "area", "group", "year", "value_yuan", "growth_pct", "status", "source")
COMPARATORS = (("ningxia", "rural"), ("ningxia", "urban"), ("china", "rural"),
               ("china", "urban"), ("china", "poverty_area_rural"))
LINKS = {("zhongwei", "rural"): "ningxia_rural", ("zhongwei", "urban"): "ningxia_urban"}
JOINS = {"poverty_area_rural": ("poor_areas_rural", "alleviated_counties_rural")}
LINK_SD_FILE = PARAMS_DIR / "forecast" / "link_growth_sd.yaml"
LINK_SD_PATH = "forecast.link_growth_sd"


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
