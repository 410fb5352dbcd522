"""Compare packages against the baseline with common random numbers.

Every package runs with the same root seed, so replication ``r`` of each package has the same
random stream and the same parameter draws as replication ``r`` of the baseline; differences are
then taken replication by replication (paired), so they show the packages' effects and not noise.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from . import costs, storage, targets, uncertainties
from .ensemble import run_ensemble
from .errors import InputError
from .forecast import fit_all, output as forecast_output
from .runner import CSV_ENCODING, free_name
from .targets import read_ensemble

QUANTILES = (0.1, 0.5, 0.9)  # median and 80% interval


def check_comparable(scenarios, households):
    """Packages compared must share period and population; the first is the reference."""
    first = scenarios[0]
    for s in scenarios[1:]:
        if (s.start, s.end) != (first.start, first.end):
            raise InputError(s.chain[0], "period", f"{s.start:%Y-%m} to {s.end:%Y-%m} differs from "
                             f"{first.name}'s {first.start:%Y-%m} to {first.end:%Y-%m}: compare like with like")
        if households is None and s.households != first.households:
            raise InputError(s.chain[0], "population.households", f"{s.households} differs from "
                             f"{first.name}'s {first.households}: give --households to compare at one size")


def _q(values):
    return np.nanquantile(np.asarray(values, float), QUANTILES)


class Package:
    """One package's ensemble, read back: incomes, targets and costs per replication."""

    def __init__(self, scenario, run_dir, forecasts=None):
        self.scenario, self.run_dir = scenario, Path(run_dir)
        self.record, tables = read_ensemble(run_dir)
        inc = tables["income_yearly"]
        allm = inc[(inc.group == "all") & (inc.component == "disposable")]
        self.income = allm.pivot_table(index="replication", columns="year", values="yuan_per_person")
        self.persons = allm.pivot_table(index="replication", columns="year", values="persons")
        self.targets = targets.evaluate_tables(self.record, tables, scenario.parameters, forecasts=forecasts)
        self.costs = self._costs(tables)

    def _costs(self, tables):
        s = self.scenario
        draws = pd.read_csv(self.run_dir / "draws.csv", encoding=CSV_ENCODING, index_col="replication")
        per_rep, self.scale = [], pd.Series(index=draws.index, dtype=float)
        for r, row in draws.iterrows():
            tree = uncertainties.apply(s.parameters, row.dropna().to_dict(), s.start, s.base_parameters)
            # the replication's own scale: simulated households / its drawn Zhongwei households
            scale = self.scale[r] = self.record["households"] / tree["population.zhongwei_households"].at(s.start)
            f = tables["fiscal_yearly"]
            h = tables["households_yearly"]
            c = costs.lever_costs(tree, f[f.replication == r], h[h.replication == r], scale, s.start)
            per_rep.append(c.assign(replication=r))
        return pd.concat(per_rep, ignore_index=True)

    def total_cost(self):
        """Fiscal cost over the period per replication (yuan, Zhongwei scale)."""
        return self.costs.groupby("replication").yuan.sum()

    def migrant_income_total(self):
        """Migrants' total disposable income per replication and year (yuan, Zhongwei scale)."""
        return (self.income * self.persons).div(self.scale, axis=0)


def package_row(p, base):
    """The comparison row of package ``p`` against ``base`` (paired by replication)."""
    first, last = p.income.columns.min(), p.income.columns.max()
    gain = p.income[last] - base.income[last]
    extra_cost = p.total_cost() - base.total_cost()
    extra_income = (p.migrant_income_total() - base.migrant_income_total()).loc[:, first + 1:].sum(axis=1)
    row = {"scenario": p.scenario.name, "label_zh": p.scenario.label.get("zh", ""),
           "label_en": p.scenario.label.get("en", "")}
    for year in (2022, last):
        row.update(zip([f"income_{year}_p10", f"income_{year}_median", f"income_{year}_p90"], _q(p.income[year])))
    row["growth_2022_median"] = float(np.median(p.income[2022] / p.income[2021] - 1))
    row.update(zip([f"gain_{last}_p10", f"gain_{last}_median", f"gain_{last}_p90"], _q(gain)))
    row.update(zip(["cost_p10", "cost_median", "cost_p90"], _q(p.total_cost())))
    row.update(zip(["extra_cost_p10", "extra_cost_yuan", "extra_cost_p90"], _q(extra_cost)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(extra_income > 0, extra_cost / extra_income, np.nan)
    row["cost_per_yuan_gained_median"] = float(np.nanmedian(ratio)) if np.isfinite(ratio).any() else np.nan
    for t, tb in zip(p.targets.targets, base.targets.targets):
        diff = t.met.astype(float) - tb.met.astype(float)
        row[f"{t.key}_probability"] = t.probability
        row[f"{t.key}_vs_baseline_pp"] = 100 * diff.mean()
        row[f"{t.key}_vs_baseline_se_pp"] = 100 * diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
    return row


def cost_per_point(rows):
    """Extra cost per percentage point of each target's probability gained (long table)."""
    out = []
    for r in rows:
        for k in range(1, 8):
            pp = r[f"T{k}_vs_baseline_pp"]
            out.append({"scenario": r["scenario"], "target": f"T{k}", "probability": r[f"T{k}_probability"],
                        "vs_baseline_pp": pp, "vs_baseline_se_pp": r[f"T{k}_vs_baseline_se_pp"],
                        "extra_cost_per_pp_yuan": r["extra_cost_yuan"] / pp if pp > 0 else np.nan})
    return pd.DataFrame(out)


def compare(scenarios, replications, seed, *, out="results", households=None, executor="processes",
            workers=None, client=None, progress=True):
    """Run every scenario with common random numbers and write the comparison.

    ``scenarios[0]`` is the reference (the baseline). Returns the comparison directory.
    """
    check_comparable(scenarios, households)
    out = Path(out)
    dirs = [run_ensemble(s, replications, seed, out=out, households=households, executor=executor,
                         workers=workers, client=client, progress=progress) for s in scenarios]
    forecasts = fit_all()  # one fit serves every package: the comparators do not depend on them
    packages = [Package(s, d, forecasts) for s, d in zip(scenarios, dirs)]
    rows = [package_row(p, packages[0]) for p in packages]
    for p in packages:
        with contextlib.suppress(FileExistsError):  # an earlier comparison wrote the same table
            storage.write_csv(p.targets.frame(), p.run_dir / "targets.csv", overwrite=False, index=False,
                              encoding=CSV_ENCODING, float_format="%.6g")
    stem = "compare-" + "-".join(s.name for s in scenarios)[:120] + f"-seed{seed}-r{replications}"
    tmp = storage.temp_dir(out, stem)
    try:
        forecast_output.write_files(forecasts, tmp / "forecasts")  # the comparators every package was judged on
        table = _write_comparison(tmp, rows, packages, seed, replications, households, scenarios, dirs)
        return storage.publish(tmp, out, stem, free_name), table
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_comparison(folder, rows, packages, seed, replications, households, scenarios, dirs):
    """The files of a comparison directory, each written atomically; the table of rows."""
    table = pd.DataFrame(rows)
    options = {"index": False, "encoding": CSV_ENCODING}
    storage.write_csv(table, folder / "comparison.csv", float_format="%.6g", **options)
    storage.write_csv(cost_per_point(rows), folder / "comparison_targets.csv", float_format="%.6g", **options)
    by_lever = pd.concat([p.costs.assign(scenario=p.scenario.name) for p in packages]).groupby(
        ["scenario", "year", "lever"]).yuan.median().reset_index()
    storage.write_csv(by_lever, folder / "costs_by_lever.csv", float_format="%.2f", **options)
    storage.write_json(folder / "run.json", {
        "seed": seed, "replications": replications, "households": households,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "ensembles": {s.name: str(d) for s, d in zip(scenarios, dirs)}})
    storage.write_manifest(folder)
    return table
