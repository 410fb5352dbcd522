"""The comparator income series: loading, validation, joins and the Zhongwei link parameter."""
from __future__ import annotations

import datetime as dt
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import InputError
from ..parameters import PARAMS_DIR, load_parameter

SERIES = "per_capita_disposable_income"
COLUMNS = ("series", "area", "group", "year", "value_yuan", "growth_pct", "status", "source")
COMPARATORS = (("ningxia", "rural"), ("ningxia", "urban"), ("china", "rural"),
               ("china", "urban"), ("china", "poverty_area_rural"))
LINKS = {("zhongwei", "rural"): "ningxia_rural", ("zhongwei", "urban"): "ningxia_urban"}
JOINS = {"poverty_area_rural": ("poor_areas_rural", "alleviated_counties_rural")}
LINK_SD_FILE = PARAMS_DIR / "forecast" / "link_growth_sd.yaml"
LINK_SD_PATH = "forecast.link_growth_sd"


# The areas and groups a series file may hold (anything else is a typo, refused).
KNOWN_GROUPS = {"china": {"urban", "rural", "poor_areas_rural", "alleviated_counties_rural"},
                "ningxia": {"urban", "rural", "poor_areas_rural"},
                "zhongwei": {"urban", "rural", "migrant"}}
DEFAULT_FILE = "sim/data/income_series.csv"


def load_series(path=None, as_of=None):
    """Read and check the income series as a tidy table.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the columns of ``sim/data/income_series.csv``; default that packaged file.
    as_of : int, optional
        Keep only the years up to ``as_of`` (the information set); default all rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``series, area, group, year, value_yuan, growth_pct, status, source``: one row per
        series, area, group and year; ``value_yuan`` in yuan per person per year (current prices),
        ``growth_pct`` the published nominal growth in percent (NaN where not recorded).

    Raises
    ------
    sim.errors.InputError
        Naming the file, the row (1 = first data row) and the column: a missing column, an
        unknown area or group, a duplicated year, a non-numeric or non-positive value or year, or
        an empty source.
    """
    if path is None:
        with resources.as_file(resources.files("sim") / "data" / "income_series.csv") as p:
            raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    else:
        raw = read_table(path)
    df = _tidy(raw, path or DEFAULT_FILE)
    return df if as_of is None else df[df["year"] <= int(as_of)].reset_index(drop=True)


def read_table(path):
    """Read a series-shaped CSV as text, refusing a missing or unreadable file."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InputError(path, "-", f"cannot read the file as CSV: {e}") from None


def _tidy(raw, where, columns=COLUMNS):
    """Check every row of a series-shaped table and convert its types."""
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise InputError(where, f"column {missing[0]}", f"missing; the columns are {list(columns)}")
    for i, row in enumerate(raw.itertuples(index=False), start=1):
        _check_row(row._asdict(), where, i)
    df = raw.copy()
    df["year"] = df["year"].astype(int)
    df["value_yuan"] = df["value_yuan"].astype(float)
    if "growth_pct" in df:
        df["growth_pct"] = pd.to_numeric(df["growth_pct"].replace("", np.nan))
    keys = [c for c in ("series", "area", "group", "year") if c in df]
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        r = df.iloc[i]
        raise InputError(where, f"row {i + 1}, column year", f"{r['area']} {r['group']} {r['year']} "
                         "appears twice; one value per area, group and year")
    return df.sort_values(keys).reset_index(drop=True)


def _check_row(row, where, i):
    area, group = row["area"].strip(), row["group"].strip()
    if area not in KNOWN_GROUPS:
        raise InputError(where, f"row {i}, column area", f"unknown area {area!r}; allowed "
                         f"{sorted(KNOWN_GROUPS)}")
    if group not in KNOWN_GROUPS[area]:
        raise InputError(where, f"row {i}, column group", f"unknown group {group!r} for {area}; "
                         f"allowed {sorted(KNOWN_GROUPS[area])}")
    if "series" in row and row["series"] != SERIES:
        raise InputError(where, f"row {i}, column series", f"{row['series']!r}; allowed {SERIES!r}")
    if not row["year"].strip().isdigit():
        raise InputError(where, f"row {i}, column year", f"{row['year']!r} is not a year")
    try:
        value = float(row["value_yuan"])
    except ValueError:
        raise InputError(where, f"row {i}, column value_yuan", f"{row['value_yuan']!r} is not a "
                         "number (yuan per person per year)") from None
    if not np.isfinite(value) or value <= 0:
        raise InputError(where, f"row {i}, column value_yuan", f"{value:g}: an income must be a "
                         "positive number of yuan per person per year")
    if "growth_pct" in row and row["growth_pct"].strip():
        try:
            float(row["growth_pct"])
        except ValueError:
            raise InputError(where, f"row {i}, column growth_pct", f"{row['growth_pct']!r} is not "
                             "a number (percent) or empty") from None
    if not row["source"].strip():
        raise InputError(where, f"row {i}, column source", "empty: every figure needs its source")


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
    if not ((df["area"] == area) & (df["group"] == new)).any():  # an information set before the new basis
        return _rows(df, area, old)
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
