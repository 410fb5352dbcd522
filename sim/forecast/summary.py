"""The printed summary of the comparator forecasts and their pooled backtest."""
from __future__ import annotations


def _summary_lines(r, alpha):
    h = r.history
    status = ", ".join(f"{n} {s}" for s, n in h["status"].value_counts().items())
    span = f"{h['year'].min()}-{r.last_year}" if len(h) > 1 else str(r.last_year)
    lines = [f"Comparator forecast: {r.key} ({r.area}, {r.group}) - per-capita disposable "
             "income, yuan per person per year, modelled as log growth",
             f"Information set: data up to {r.as_of}; this series {span} ({len(h)} "
             f"value{'s' * (len(h) > 1)}: {status}); {r.last_year} = {r.last_value:,.0f} yuan",
             f"Model: {r.model_name} - {r.model_label}", ""]
    lines += _forecast_lines(r, alpha)
    if r.notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in r.notes]
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


def backtest_lines(fits):
    """The pooled backtest table (coverage with its cell count n, CRPS) and the model choice."""
    bt = fits.backtest[fits.backtest["series"] == "pooled"]
    origins = fits.cells["origin"]
    lines = [f"Pooled rolling-origin backtest, information set up to {fits.as_of}: "
             f"{fits.cells['series'].nunique()} series, origins {origins.min()}-{origins.max()}, "
             "horizons 1-4; intervals calibrated on the other series' errors (leave one series out), "
             "floored by the series' own growth sd up to the origin x sqrt(h); "
             "score = mean CRPS of log income in log points x 100 (lower is better)",
             f"{'model':<13}{'h':>3}{'n':>5}{'cov80':>8}{'cov95':>8}{'CRPS':>8}"]
    for r in bt.itertuples():
        mark = "  <- chosen" if r.model == fits.chosen else ""
        lines.append(f"{r.model:<13}{r.horizon:>3}{r.n:>5}{r.coverage80:>8.1%}{r.coverage95:>8.1%}"
                     f"{r.score * 100:>8.3f}{mark}")
    for model, c in fits.scored.groupby("model"):
        if model == fits.chosen:
            lines.append(f"{model} over all horizons: 80% coverage {c['inside80'].mean():.1%} "
                         f"(n={len(c)}), 95% coverage {c['inside95'].mean():.1%} (n={len(c)})")
    ranking = ", ".join(f"{m} {s * 100:.3f}" for m, s in fits.ranking.items())
    mine, naive, n = fits.skill
    lines += [f"choice: lowest mean CRPS on the cells every model has ({ranking}) -> {fits.chosen}",
              f"{fits.chosen} against naive (last growth carried forward) on their {n} common "
              f"cells: CRPS {mine * 100:.3f} vs {naive * 100:.3f} ({mine / naive - 1:+.0%})",
              "shock correlations (one-year-ahead errors of the chosen model): " + "; ".join(
                  f"{r.a}~{r.b} {r.rho:+.2f} (n={r.n})" for r in fits.correlations.itertuples())]
    lines += [f"not forecast: {k}: {why}" for k, why in fits.skipped.items()]
    return lines
