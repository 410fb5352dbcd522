"""Writing the forecasts and the backtest (DIR/forecasts/forecasts.csv and backtest.csv)."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

from ..runner import CSV_ENCODING, free_name
from .summary import backtest_lines

FORECAST_COLUMNS = ["series", "year", "mean", "lo80", "hi80", "lo95", "hi95", "model", "as_of"]


def forecast_table(fits):
    """Every series' rows: ``series, year, mean, lo80, hi80, lo95, hi95, model, as_of`` (yuan)."""
    if not fits:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    return pd.concat([f.table() for f in fits.values()], ignore_index=True)[FORECAST_COLUMNS]


def text(fits):
    """Every series' summary, then the pooled backtest."""
    parts = [f.summary() for f in fits.values()]
    return "\n".join(parts) + "\n" + "\n".join(backtest_lines(fits)) + "\n"


def write(fits, root, stem="forecasts"):
    """Write ``root/stem/forecasts.csv`` and ``backtest.csv``, never over an existing directory.

    Both files go into a temporary directory first and are moved into place together, so an
    interrupted write leaves nothing behind. Returns the directory written.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=root))
    try:
        forecast_table(fits).to_csv(tmp / "forecasts.csv", index=False, encoding=CSV_ENCODING,
                                    float_format="%.2f")
        fits.backtest.to_csv(tmp / "backtest.csv", index=False, encoding=CSV_ENCODING,
                             float_format="%.6f")
        target = free_name(root, stem)
        tmp.rename(target)
        return target
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
