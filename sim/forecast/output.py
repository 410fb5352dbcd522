"""Writing the forecasts and the backtest (DIR/forecasts/forecasts.csv and backtest.csv)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from .. import storage
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

    Both files are built in a temporary directory (``sim.storage``) and published together, so
    an interrupted write leaves nothing that looks complete. Returns the directory written.
    """
    tmp = storage.temp_dir(root, stem)
    try:
        write_files(fits, tmp)
        return storage.publish(tmp, Path(root), stem, free_name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_files(fits, folder):
    """``forecasts.csv`` and ``backtest.csv`` in ``folder``, each written atomically."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    storage.write_csv(forecast_table(fits), Path(folder) / "forecasts.csv", index=False,
                      encoding=CSV_ENCODING, float_format="%.2f")
    storage.write_csv(fits.backtest, Path(folder) / "backtest.csv", index=False,
                      encoding=CSV_ENCODING, float_format="%.6f")
