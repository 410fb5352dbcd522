"""The targets T1-T7 (DESIGN §1) as probabilities over an ensemble and the comparator forecasts.

Each target is a function of the ensemble's tables (one row per replication) and of comparator
paths drawn from the forecasts (one path per replication), returning the per-replication figure
the target is about and whether it is met. The probability of meeting it is the share of
replications that meet it; its Monte Carlo error is the binomial standard error. Thresholds are
parameters (``sim/params/targets``) with their sources.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, storage
from .readings import MetShare, evaluate as read_targets, summary as readings_summary
from .ensemble import KEPT_TABLES
from .errors import InputError
from .forecast import fit_all, joint_log_paths, load_series
from .forecast.readings import FORECAST, PLAN, plan_paths
from .runner import CSV_ENCODING

COMPARATORS = ("zhongwei_rural", "zhongwei_urban", "ningxia_rural")
READ_COMPARATORS = ("T2", "T3", "T4")   # targets that depend on a comparator forecast
PLAN_READ = ("T2", "T3")                # also reported under the plan's own expectation (seed 004)
TARGET_YEARS = tuple(range(2021, 2026))
# Comparator draws get entropy (TAG, seed): a stream that no replication's
# SeedSequence(seed).spawn(...) child can equal.
TARGETS_TAG = 0x7A1


@dataclass
class Target(MetShare):
    """One target's outcome over the ensemble."""

    key: str
    label_zh: str
    label_en: str
    figure: str           # what the per-replication figure is, with unit
    values: np.ndarray    # the figure, one per replication
    met: np.ndarray       # bool, one per replication
    definition: str
    source: str
    reading: str = "none"  # comparator reading: "forecast", "plan" or "none" (no comparator)


@dataclass
class Inputs:
    """What the targets read: yearly tables and comparator paths, one row per replication."""

    income: pd.DataFrame        # replication x (group, subgroup, component, year) -> yuan per person
    households: pd.DataFrame    # replication x (indicator, year) -> value
    comparators: dict = field(default_factory=dict)  # key -> DataFrame replication x year (yuan)
    P: object = None            # parameter snapshot for thresholds

    def migrant(self, year, component="disposable", group="all", subgroup="all"):
        return self.income[(group, subgroup, component, year)].to_numpy()

    def indicator(self, name, year):
        return self.households[(name, year)].to_numpy()


def _growth(new, old):
    return new / old - 1.0


def t1(x):
    t = x.P.targets
    growth = _growth(x.migrant(2022), x.migrant(2021))
    return Target("T1", "移民收入2022年增长12%", "Migrant income +12% in 2022",
                  "2022 growth of Zhongwei migrants' per-capita income (/1)", growth, growth >= t.t1_growth,
                  f"growth 2021-22 >= {t.t1_growth:.0%} (target increase {t.t1_increase:,.0f} yuan)",
                  "seed 004 实施方案 一、总体目标")


def t2(x):
    rural = x.comparators["zhongwei_rural"]
    gap = _growth(x.migrant(2022), x.migrant(2021)) - _growth(rural[2022], rural[2021]).to_numpy()
    return Target("T2", "移民收入增速高于全市农村居民", "Migrant growth above Zhongwei rural growth",
                  "2022 migrant growth minus Zhongwei rural growth (/1)", gap, gap > 0,
                  "migrant growth 2021-22 > Zhongwei rural growth 2021-22 (forecast)",
                  "seed 004 实施方案 一、总体目标")


def t3(x, first=2021, last=2025):
    rural, urban = x.comparators["zhongwei_rural"], x.comparators["zhongwei_urban"]
    alleviated = _growth(x.migrant(last, group="alleviated", subgroup="yes"),
                         x.migrant(first, group="alleviated", subgroup="yes"))
    g_rural = _growth(rural[last], rural[first]).to_numpy()
    g_urban = _growth(urban[last], urban[first]).to_numpy()
    margin = np.minimum(alleviated - g_rural, g_rural - g_urban)
    return Target("T3", "两个高于", "The two 'higher than's",
                  f"smaller of the two growth margins {first}-{last} (/1)", margin, margin > 0,
                  f"alleviated migrants' growth > Zhongwei rural growth > Zhongwei urban growth, {first}-{last}",
                  "seed 000 第五章 preamble; seed 001 §(十三)")


def t4(x, first=2021, last=2025):
    rural = x.comparators["ningxia_rural"]
    ratio = x.migrant(last) / rural[last].to_numpy()
    faster = np.all([_growth(x.migrant(y), x.migrant(y - 1)) > _growth(rural[y], rural[y - 1]).to_numpy()
                     for y in range(first + 1, last + 1)], axis=0)
    threshold = x.P.targets.t4_catch_up_ratio
    return Target("T4", "2025年基本达到全区农村居民平均水平", "Catch up with Ningxia's rural average by 2025",
                  f"{last} ratio of migrant income to Ningxia rural income (/1)", ratio,
                  (ratio >= threshold) & faster,
                  f"ratio >= {threshold:.2f} in {last} and migrant growth above Ningxia rural growth every year",
                  "seed 000 第四章 preamble; seed 001 §(六)")


def t5(x, year=2022):
    share = x.migrant(year, "operating") / x.migrant(year)
    threshold = x.P.targets.t5_operating_share
    return Target("T5", "产业收入占比40%以上", "Industry income at least 40%",
                  f"{year} share of net operating income in disposable income (/1)", share, share >= threshold,
                  f"operating share >= {threshold:.0%} in {year}", "seed 004 实施方案 §二(一)1")


def t6(x, years=range(2022, 2026)):
    name = "labour_households_with_stable_job_or_industry_share"
    lowest = np.min([x.indicator(name, y) for y in years], axis=0)
    threshold = x.P.targets.t6_coverage
    return Target("T6", "有劳动能力家庭至少1人稳定就业或1项稳定产业", "A stable job or industry in every labour household",
                  "lowest yearly share of labour households with a stable job or industry (/1)", lowest,
                  lowest >= threshold, f"share >= {threshold:.0%} in every year {years[0]}-{years[-1]}",
                  "seed 004 实施意见 §二(三); seed 001 §(六)")


def t7(x, base=2021, years=range(2022, 2026)):
    name = "below_monitoring_line_share"
    rise = np.max([x.indicator(name, y) for y in years], axis=0) - x.indicator(name, base)
    tol = x.P.targets.t7_tolerance
    return Target("T7", "不发生规模性返贫", "No large-scale return to poverty",
                  f"largest rise of the share below the monitoring line over {base} (/1)", rise, rise <= tol,
                  f"share below the monitoring line never more than {tol:.0%} above its {base} level",
                  "seed 004 实施意见 一(二); seed 001 名词解释 2-3")


TARGETS = (t1, t2, t3, t4, t5, t6, t7)


def comparator_paths(forecasts, replications, seed, first=2021, last=2025):
    """One drawn path per replication of each comparator, observed years as data.

    Returns
    -------
    dict of pandas.DataFrame
        ``key -> replication x year`` (yuan per person per year).
    """
    rng = np.random.default_rng(np.random.SeedSequence([TARGETS_TAG, seed]))
    out = {}
    for key, paths in joint_log_paths(forecasts, COMPARATORS, replications, rng, first).items():
        years = list(range(first, first + paths.shape[1]))
        out[key] = pd.DataFrame(np.exp(paths), columns=years).loc[:, [y for y in years if y <= last]]
    return out


@dataclass
class TargetResults:
    """All targets of one ensemble, shaped like statsmodels results."""

    targets: list
    replications: int
    scenario: str
    readings: list = field(default_factory=list)  # T2, T3 again under the plan reading
    as_of: int | None = None                      # information set of the comparator forecasts
    other_readings: list = field(default_factory=list)  # sim.readings.Reading: other readings of T1, T4-T6

    def frame(self):
        """One row per target: probability, Monte Carlo error and the figure's distribution."""
        rows = []
        for t in sorted(self.targets + self.readings, key=lambda t: t.key):
            q = np.nanquantile(t.values, [0.1, 0.5, 0.9])
            rows.append({"target": t.key, "label_zh": t.label_zh, "label_en": t.label_en,
                         "probability": t.probability, "mc_error": t.mc_error, "figure": t.figure,
                         "figure_p10": q[0], "figure_median": q[1], "figure_p90": q[2],
                         "definition": t.definition, "source": t.source,
                         "comparator_reading": t.reading, "as_of": self.as_of})
        return pd.DataFrame(rows)

    def draws(self):
        """The per-replication figure and outcome of every target."""
        return pd.concat([pd.DataFrame({"target": t.key, "replication": np.arange(len(t.values)),
                                        "figure": t.values, "met": t.met}) for t in self.targets])

    def summary(self):
        f = self.frame()
        lines = [f"Targets of '{self.scenario}', {self.replications} replications "
                 "(probability ± Monte Carlo standard error; figure: median [10%, 90%]); comparator "
                 f"forecasts on data up to {self.as_of}; *_plan: the plan's own comparator growth", ""]
        for r in f.itertuples():
            lines.append(f"{r.target}  {r.probability:6.1%} ± {r.mc_error:4.1%}  {r.label_zh} / {r.label_en}")
            lines.append(f"      {r.figure}: {r.figure_median:.3f} [{r.figure_p10:.3f}, {r.figure_p90:.3f}]")
            lines.append(f"      met when {r.definition} ({r.source})")
        if self.other_readings:
            lines += ["", readings_summary(self.other_readings)]
        return "\n".join(lines)


def read_ensemble(run_dir):
    """Read an ensemble directory, checking it is complete and from this version of ``sim``."""
    run_dir = Path(run_dir)
    record_file = run_dir / "run.json"
    if run_dir.name.endswith(".partial") or not record_file.is_file():
        raise InputError(run_dir, "run.json", "not a complete ensemble directory (an unfinished one "
                         "resumes when its `sim run ... --replications` command is run again)")
    record = json.loads(record_file.read_text(encoding="utf-8"))
    if "replications" not in record:
        raise InputError(run_dir, "run.json", "a single run, not an ensemble: run with --replications R")
    if record.get("sim_version") != __version__:
        raise InputError(run_dir, "run.json: sim_version", f"made by sim {record.get('sim_version')}, this is "
                         f"sim {__version__}: run the ensemble again with this version")
    damaged = storage.manifest_problems(run_dir, strict=False) if (run_dir / storage.MANIFEST).is_file() else []
    if damaged:
        raise InputError(run_dir, damaged[0][0], "; ".join(f"{f}: {p}" for f, p in damaged) +
                         ": changed since the ensemble was written; run it again")
    tables = {}
    for name in KEPT_TABLES:
        path = run_dir / f"{name}.csv"
        if not path.is_file():
            raise InputError(run_dir, name, "table missing: the directory is incomplete")
        tables[name] = pd.read_csv(path, encoding=CSV_ENCODING)
        found = tables[name]["replication"].nunique()
        if found != record["replications"]:
            raise InputError(path, "replication", f"{found} replications, run.json says {record['replications']}")
    missing = sorted(set(TARGET_YEARS) - set(tables["income_yearly"]["year"]))
    if missing:
        raise InputError(run_dir, "income_yearly.year", f"the targets need the years {TARGET_YEARS[0]}-"
                         f"{TARGET_YEARS[-1]}; missing {missing}: run the full period")
    return record, tables


def evaluate(run_dir, scenario_parameters, series=None, forecasts=None, fixed=None):
    """Every target's probability for the ensemble in ``run_dir``.

    Parameters
    ----------
    run_dir : path
    scenario_parameters : sim.parameters.ParameterTree
        For the thresholds (``targets.*``). The comparator forecasts read their own parameter
        (``forecast.link_growth_sd``) from the parameter files.
    series : pandas.DataFrame, optional
        Comparator series; by default the shipped ``sim/data/income_series.csv``.
    forecasts : dict, optional
        Comparator forecasts already fitted (``sim.forecast.fit_all``); by default fitted here.
    fixed : dict, optional
        Comparator key -> {year: yuan}: values that replace the drawn ones in every replication
        (realized figures, ``sim evaluate``).
    """
    record, tables = read_ensemble(run_dir)
    return evaluate_tables(record, tables, scenario_parameters, series, forecasts, fixed)


def evaluate_tables(record, tables, scenario_parameters, series=None, forecasts=None, fixed=None):
    """As ``evaluate``, on an ensemble already read by ``read_ensemble``."""
    inc = tables["income_yearly"]
    income = inc.pivot_table(index="replication", columns=["group", "subgroup", "component", "year"],
                             values="yuan_per_person")
    hh = tables["households_yearly"]
    households = hh.pivot_table(index="replication", columns=["indicator", "year"], values="value")
    forecasts = forecasts or fit_all(load_series() if series is None else series)
    R = record["replications"]
    P = scenario_parameters.at(pd.Timestamp(record["scenario"]["start"] + "-01").date())
    x = Inputs(income, households, comparator_paths(forecasts, R, record["seed"]), P)
    for key, values in (fixed or {}).items():
        for year, value in values.items():
            if key in x.comparators and year in x.comparators[key]:
                x.comparators[key][year] = value
    results = [replace(f(x), reading=FORECAST if f.__name__.upper() in READ_COMPARATORS else "none")
               for f in TARGETS]
    plan = Inputs(income, households, {**x.comparators, **plan_paths(forecasts, R)}, P)
    readings = [_plan_reading(f(plan)) for f in TARGETS if f.__name__.upper() in PLAN_READ]
    return TargetResults(results, R, record["scenario"]["name"], readings, getattr(forecasts, "as_of", None),
                         read_targets(x))


def _plan_reading(t):
    return replace(t, key=f"{t.key}_plan", label_zh=t.label_zh + "（计划口径）",
                   label_en=t.label_en + " (plan reading)", reading=PLAN,
                   definition=t.definition.replace(" (forecast)", "") + "; Zhongwei comparators at the plan's "
                   "growth (seed 004: rural +10%, urban +8% a year)",
                   source=t.source + "; comparators: sim/params/forecast/plan_growth_*.yaml")
