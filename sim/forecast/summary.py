"""The printed summary of a comparator forecast."""
from __future__ import annotations

import numpy as np


def _summary_lines(r, alpha):
    h = r.history
    status = ", ".join(f"{n} {s}" for s, n in h["status"].value_counts().items())
    span = f"{h['year'].min()}-{r.last_year}" if len(h) > 1 else str(r.last_year)
    lines = [f"Comparator forecast: {r.key} ({r.area}, {r.group}) - per-capita disposable "
             "income, yuan per person per year, modelled in logs",
             f"Data: {span} ({len(h)} value{'s' * (len(h) > 1)}: {status}); "
             f"{r.last_year} = {r.last_value:,.0f} yuan",
             f"Chosen model: {r.model_name} - {r.model_label}", ""]
    lines += _backtest_lines(r) + [""]
    lines += _forecast_lines(r, alpha)
    notes = r.notes + [f"final fit warning: {w}" for w in r.fit_warnings]
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    return lines


def _backtest_lines(r):
    if r.cells.empty:
        return ["Backtest: none (too few years); see the notes for what the forecast rests on."]
    bt, sc = r.backtest, r.scores.set_index("model")
    hs = sorted(bt["horizon"].unique())
    origins = r.cells["origin"]
    head = (f"{'model':<18}" + "".join(f"{'MAPE h=' + str(k):>10}" for k in hs)
            + f"{'MAPE all':>10}{'cov80':>8}{'n':>4}")
    lines = [f"Rolling-origin backtest (origins {origins.min()}-{origins.max()}, horizons 1-"
             f"{max(hs)}; MAPE in %, cov80 = share of actuals inside the 80% interval; "
             f"{r.selection_rule}):",
             head]
    for model, s in sc.iterrows():
        if np.isnan(s["ape_mean"]):
            lines.append(f"{model:<18}   (failed at every origin)")
            continue
        b = bt[bt["model"] == model].set_index("horizon")
        cells = "".join(f"{b.loc[k, 'ape_mean'] * 100:>10.2f}" if k in b.index else f"{'':>10}"
                        for k in hs)
        mark = " <- chosen" if model == r.model_name else ""
        lines.append(f"{model:<18}{cells}{s['ape_mean'] * 100:>10.2f}{s['coverage80']:>8.2f}"
                     f"{int(s['n']):>4}{mark}")
    return lines


def _forecast_lines(r, alpha):
    level = round((1 - alpha) * 100)
    lines = [f"Forecast, yuan (mean and {level}% interval; growth of the mean on the year before):",
             f"{'year':<6}{'mean':>10}{'lower':>10}{'upper':>10}{'growth':>9}"]
    prev = r.last_value
    for row in r.frame(alpha).itertuples():
        lines.append(f"{row.year:<6}{row.mean:>10,.0f}{row.pi_lower:>10,.0f}{row.pi_upper:>10,.0f}"
                     f"{(row.mean / prev - 1) * 100:>8.1f}%")
        prev = row.mean
    return lines
