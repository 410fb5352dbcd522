"""Quantile bands across replications: the table per year, and its median line with shading."""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from .style import n_text, note, years_text

QUANTILES = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}
BANDS = {"outer": ("p10", "p90"), "inner": ("p25", "p75")}
BAND_ALPHA = {"outer": 0.15, "inner": 0.32}
ISOLATED_BAND_WIDTH = {"outer": 3, "inner": 7}  # points: bands of a year with no neighbours


def quantile_table(df, value, years, pkg, notes, L):
    """Quantiles of ``value`` across replications per year, reindexed on all ``years``.

    Missing years (rows of NaN, drawn as gaps) and years with fewer replications than the
    package has are noted.
    """
    grouped = df.groupby("year")[value]
    q = grouped.quantile(list(QUANTILES.values())).unstack()
    q.columns = list(QUANTILES)
    q["replications"] = grouped.count()
    missing = [y for y in years if y not in q.index]
    if missing:
        note(notes, L["missing_years"].format(pkg=pkg, years=years_text(missing, L)))
    total = df["replication"].nunique()
    short = q.index[q["replications"] < total].tolist()
    if short:
        n = n_text(q.loc[short, "replications"].astype(int))
        note(notes, L["short_years"].format(pkg=pkg, years=years_text(short, L), n=n,
                                             total=total))
    q = q.reindex(sorted(set(years) | set(q.index)))
    q["replications"] = q["replications"].astype("Int64")  # 0 rows of a missing year: <NA>
    q.index.name = "year"
    return q


def draw_bands(ax, q, colour, scale=1.0):
    """Median line and quantile bands; a year between gaps gets its bands as vertical bars."""
    present = q["median"].notna().to_numpy()
    before, after = np.r_[False, present[:-1]], np.r_[present[1:], False]
    alone = q.index[present & ~before & ~after]
    for band, (lo, hi) in BANDS.items():
        ax.fill_between(q.index, q[lo] * scale, q[hi] * scale, color=colour,
                        alpha=BAND_ALPHA[band], linewidth=0)
        ax.vlines(alone, q.loc[alone, lo] * scale, q.loc[alone, hi] * scale, color=colour,
                  alpha=BAND_ALPHA[band] * 2, linewidth=ISOLATED_BAND_WIDTH[band])
    return ax.plot(q.index, q["median"] * scale, color=colour, linewidth=2, marker="o",
                   markersize=4)[0]


def band_legend(L):
    """Legend entries for the two bands, in grey (each package has its own colour)."""
    return [(Patch(color="grey", alpha=BAND_ALPHA["inner"] + BAND_ALPHA["outer"]),
             L["band_inner"]),
            (Patch(color="grey", alpha=BAND_ALPHA["outer"]), L["band_outer"])]
