"""The fast engine (``sim.model``) and the per-household reference (``sim.reference``) agree in
distribution, and the reference is an independent implementation.

The reference imports nothing from ``sim.agents``, ``sim.accounts``, ``sim.model`` or
``sim.submodels`` (checked on its parsed imports and on ``sys.modules`` in a fresh interpreter):
its hiring, accounts and calendar are its own, written from docs/ODD.md.

For each of 20 seeds s: ``SeedSequence(s).spawn(3)`` gives one population stream and two
independent dynamics streams; the engine and the reference each run the baseline on a copy of
the same 2,000-household population. Same population, independent dynamics: under agreement the
paired run-level differences have mean zero. Each implementation's tables come from its own
accounts.

Checks (each at an overall false-alarm rate of 0.001):

(a) yearly per-capita income of all migrants, 2021-2025, per component (wages, operating,
    property, transfers, disposable): paired t-tests on the 20 engine-minus-reference
    differences, Bonferroni-corrected over the 25 comparisons;
(b) the 2022 distribution of household per-capita income, households pooled over seeds: the
    two-sample Kolmogorov-Smirnov statistic, its p-value from swapping the engine/reference
    labels within seeds (see ``test_income_distribution_2022`` for why not the asymptotic one);
(c) employment by job kind (yearly mean of monthly persons, 2021-2025): as (a), 35 comparisons;
(d) the yearly household indicators (monitoring line, monitored, dibao, stable work): as (a);
(e) the same income and indicator checks on ``ningxia_2025``, the package with every lever
    switched on (12 seeds x 1,000 households), so the package rules agree too;
(f) yearly per-capita disposable income of every other group (county, cohort, alleviated,
    monitored, migrant kind, key village; 85 comparisons) and spending by lever (40): as (a);
(g) persons in finite jobs whose household is monitored (yearly mean of months): as (a); the
    shares of (d) barely move when the hiring priority is dropped, this count does;
(h) the checks can fail: with one rule of the engine broken (``BREAKS``: no dibao top-up; no
    hiring priority; hiring that ignores the jobs already held) the named checks on the same
    seeds must fail. Only the broken side is re-run, and it is the engine, the fast side: a check
    that tells the two implementations apart when one lacks a rule has the same power whichever
    side lacks it.

Why Bonferroni t-tests and not "|mean diff| > 4 SE": the seeds are fixed, so each outcome is a
deterministic property of the code, but every refactor of either engine redraws the streams and
the test must not then fail by chance. With 20 seeds the t statistic has 19 degrees of freedom
and heavy tails: a 4-SE rule has a per-comparison false-alarm rate of 8e-4 and, over 25-35
comparisons, a family rate of 2-3% (engine against engine, 60 null trials of 20 seeds: 2 of 60
had some |t| > 4.5 among the 25 income comparisons). Bonferroni at 0.001 overall puts the bar at
|t| > 5.3-5.5; the comparisons are positively correlated (disposable is a sum; years share
state), so the family rate is below 0.001. Power: removing the dibao top-up from the
engine fails (a) (transfers 2021-2025, t = -5.5 to -8.2) and (d) (monitored share 2021-2024,
t = 8.2-9.9; below-line share 2021, 2023); removing the hiring priority barely moves the shares
of (d), which is why (g) exists: it fails (g) in every year (|t| = 17-31). Hiring that ignores the
jobs held fails 30 of the 35 comparisons of (c) (|t| up to 319). (Figures of 2026-12-03; rerun
``test_a_broken_rule_fails_the_agreement_checks`` with ``-s`` to see them.)

Runs go through a ``ProcessPoolExecutor(max_workers=2)``; the worker is a module-level function
(``import mesa`` sets the start method to spawn). Wall time on 2 free cores: about 100 s for the
agreement runs and 20 s for each broken rule.
"""
from __future__ import annotations

import ast
import contextlib
import datetime as dt
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import accounts as engine_accounts
from sim.model import MigrantIncomeModel
from sim.population import build_population
from sim.reference import ReferenceModel
from sim.reference import accounts as reference_accounts
from sim.reference import members as reference_members
from sim.scenario import load_scenario
from sim.submodels.labour import JOBS

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
PACKAGE = SCENARIO.with_name("ningxia_2025.yaml")
PACKAGE_SEEDS, PACKAGE_HOUSEHOLDS = range(100, 112), 1000
SEEDS = range(20)
HOUSEHOLDS = 2000
YEARS = range(2021, 2026)
DISTRIBUTION_MONTH = dt.date(2022, 12, 1)
ALPHA = 0.001
PERMUTATIONS = 4999
INDICATORS = ("below_monitoring_line_share", "monitored_share", "dibao_share",
              "labour_households_with_stable_job_share",
              "labour_households_with_stable_job_or_industry_share")
FORBIDDEN = ("sim.agents", "sim.accounts", "sim.model", "sim.submodels")
# Rules broken on one side to show that the agreement checks can fail: name -> (side, what to
# patch, its broken stand-in, the summaries whose checks must then fail).
# Rules broken in the engine (the fast side, so that the power checks cost seconds, not minutes):
# a check that tells the two implementations apart when one of them lacks a rule can fail.
BREAKS = {
    "engine_without_dibao_topup": (
        "engine", {"sim.submodels.transfers.dibao_topup": lambda h, P: np.zeros(h.dibao.shape)},
        ("income", "indicators")),
    "engine_without_hiring_priority": (
        "engine", {"sim.submodels.labour.hiring_priority":
                   lambda monitored, weak, kind: np.zeros(len(monitored), dtype=np.int8)}, ("priority",)),
    "engine_hiring_ignores_jobs_held": (
        "engine", {"sim.submodels.labour.filled_jobs":
                   lambda persons, employed, providers: np.zeros(len(providers), dtype=int)}, ("employment",)),
}


# -- runs (module level so spawned workers can import them) -------------------------------------
def _run(model, sizes, finite_jobs_of_monitored):
    """Step ``model`` to its end; returns its tables, the 2022 per-capita household incomes and,
    per recorded month, the persons in finite jobs whose household is monitored."""
    incomes, priority = None, {}
    while model.running:
        model.step()
        date, recorded = model.calendar[model.steps - 1]
        if recorded:
            priority[date] = finite_jobs_of_monitored(model)
        if date == DISTRIBUTION_MONTH:
            size = np.asarray(sizes(model))
            alive = size > 0
            incomes = np.asarray(model.year_income)[alive] / size[alive]
    return model.accounts.tables(), incomes, priority


def _engine_finite_jobs_of_monitored(model):
    p, h = model.population.persons, model.population.households
    return int(((p.job >= JOBS.index("local")) & (h.monitoring[p.hh] > 0)).sum())


def _reference_finite_jobs_of_monitored(model):
    return sum(m.job in reference_members.FINITE_JOBS for hh in model.household_list if hh.monitored
               for m in hh.members)


def _summary(tables, incomes, priority):
    y = tables["income_yearly"]
    y = y[y["year"].isin(YEARS)]
    income = y[y["group"] == "all"].set_index(["year", "component"])["yuan_per_person"]
    disposable = y[y["component"] == "disposable"]
    groups = disposable[disposable["group"] != "all"].set_index(["year", "group", "subgroup"])["yuan_per_person"]
    e = tables["employment_monthly"].copy()
    e["year"] = e["month"].str[:4].astype(int)
    employment = e.groupby(["year", "kind"])["persons"].mean()
    f = tables["fiscal_yearly"]
    fiscal = f[f["year"].isin(YEARS)].set_index(["year", "lever"])["yuan"]
    h = tables["households_yearly"]
    indicators = h[h["indicator"].isin(INDICATORS)].set_index(["year", "indicator"])["value"]
    months = pd.Series(priority)
    priority = months.groupby([d.year for d in months.index]).mean()
    return {"income": income, "groups": groups, "employment": employment, "fiscal": fiscal,
            "indicators": indicators, "priority": priority, "incomes_2022": incomes}


def _break(name):
    """A context that breaks the rule ``name`` of ``BREAKS`` (or nothing, for ``None``)."""
    stack = contextlib.ExitStack()
    for target, stand_in in (BREAKS[name][1] if name else {}).items():
        stack.enter_context(mock.patch(target, new=stand_in))
    return stack


def run_pair(seed, scenario_file=SCENARIO, households=HOUSEHOLDS, sides=("engine", "reference"),
             broken=None):
    """Engine and reference on one population, with independent dynamics streams.

    ``sides`` chooses which to run; ``broken`` names a rule of ``BREAKS`` broken for the run.
    """
    scenario = load_scenario(scenario_file)
    population, engine_stream, reference_stream = np.random.SeedSequence(seed).spawn(3)
    pop = build_population(scenario.parameters.at(scenario.start), households,
                           np.random.default_rng(population))
    out = {}
    with _break(broken):
        if "engine" in sides:
            engine = MigrantIncomeModel(scenario, population=pop.copy(), rng=np.random.default_rng(engine_stream))
            out["engine"] = _summary(*_run(engine, lambda m: m.population.households.size,
                                                 _engine_finite_jobs_of_monitored))
        if "reference" in sides:
            start = time.perf_counter()
            reference = ReferenceModel(scenario, population=pop.copy(),
                                       rng=np.random.default_rng(reference_stream))
            out["reference"] = _summary(*_run(reference, lambda m: m.sizes,
                                                    _reference_finite_jobs_of_monitored))
            seconds = time.perf_counter() - start
            out["household_months_per_second"] = households * len(reference.calendar) / seconds
    return out


def run_package_pair(seed):
    """As ``run_pair`` on the package with every lever (its new rules switched on)."""
    return run_pair(seed, PACKAGE, PACKAGE_HOUSEHOLDS)


def run_broken_side(seed_and_break):
    """The broken side of ``run_pair`` alone (the other side is the same as unbroken)."""
    seed, name = seed_and_break
    return run_pair(seed, sides=(BREAKS[name][0],), broken=name)


@pytest.fixture(scope="module")
def runs():
    """The 20 paired runs (about 40 s on 2 cores)."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run_pair, SEEDS))


# -- statistics ---------------------------------------------------------------------------------
def paired_differences(runs, key):
    """Table of per-seed engine-minus-reference differences: rows seeds, columns comparisons."""
    return pd.DataFrame([r["engine"][key] - r["reference"][key] for r in runs])


def bonferroni_failures(diffs, alpha=ALPHA):
    """Comparisons whose paired t-test rejects at ``alpha`` overall (Bonferroni), with figures.

    A comparison with no variation across seeds fails if its mean difference is not zero.
    """
    n, k = diffs.shape
    mean, se = diffs.mean(), diffs.std(ddof=1) / np.sqrt(n)
    critical = stats.t.ppf(1 - alpha / (2 * k), n - 1)
    fails = (mean.abs() > critical * se) & ~((se == 0) & (mean.abs() < 1e-9))
    report = pd.DataFrame({"mean_diff": mean, "se": se, "t": mean / se.where(se > 0)})
    return report[fails], report, critical


def permutation_ks(engine, reference, permutations=PERMUTATIONS, seed=0):
    """Two-sample KS statistic of the pooled samples and its p-value by within-seed label swaps.

    ``engine`` and ``reference`` are lists (one per seed) of samples. Under agreement the two runs
    of a seed are exchangeable, so swapping their labels seed by seed gives the statistic's null
    distribution, shared price and disaster shocks within a run included.
    """
    grid = np.sort(np.concatenate(engine + reference))
    e = np.array([np.searchsorted(np.sort(x), grid, side="right") for x in engine], dtype=float)
    r = np.array([np.searchsorted(np.sort(x), grid, side="right") for x in reference], dtype=float)
    ne, nr = np.array([len(x) for x in engine], float), np.array([len(x) for x in reference], float)

    def statistic(swap):
        a = swap @ r + (1 - swap) @ e
        b = swap @ e + (1 - swap) @ r
        na, nb = swap @ nr + (1 - swap) @ ne, swap @ ne + (1 - swap) @ nr
        return np.abs(a / na[:, None] - b / nb[:, None]).max(axis=1)

    observed = statistic(np.zeros((1, len(engine))))[0]
    rng = np.random.default_rng(seed)
    null = np.concatenate([statistic(rng.integers(0, 2, (50, len(engine))).astype(float))
                           for _ in range(-(-permutations // 50))])[:permutations]
    return observed, (1 + (null >= observed - 1e-12).sum()) / (1 + permutations)


# -- checks -------------------------------------------------------------------------------------
def test_reference_imports_nothing_of_the_engine():
    """``sim.reference`` is an independent oracle: none of its modules imports the engine's agents,
    accounts, model or submodels, directly (parsed imports) or indirectly (a fresh interpreter)."""
    package = ROOT / "sim" / "reference"
    modules = sorted(package.glob("*.py"))
    assert {m.stem for m in modules} >= {"members", "household", "model", "providers", "accounts", "calendar"}
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [_absolute(node, path)] + [f"{_absolute(node, path)}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            bad = [n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
            assert not bad, f"{path.name} imports {bad}"
    code = ("import sys, sim.reference, sim.reference.model; "
            f"print([m for m in sys.modules if m.startswith({FORBIDDEN!r})])")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True, env={"PYTHONPATH": str(ROOT), "PATH": ""}).stdout.strip()
    assert loaded == "[]", f"importing sim.reference loads {loaded}"


def _absolute(node, path):
    """The absolute module name of a ``from ... import`` in ``sim/reference/<path>``."""
    if not node.level:
        return node.module
    base = ["sim", "reference"][:len(["sim", "reference"]) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def test_scalar_rules_match_engine_formulas():
    """The reference's scalar formulas give the engine's vectorised values (fast, exact check)."""
    from sim import population
    from sim.reference import income, model
    from sim.submodels import demography, shocks, transfers
    P = load_scenario(SCENARIO).parameters.at(dt.date(2021, 1, 1))
    Q = model._attributes(P)
    ref = reference_members
    ages = np.repeat(np.arange(0, 90), 8)
    flags = [np.resize(np.array(bits, bool), len(ages)) for bits in
             ([0, 1], [0, 0, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1])]
    student, disabled, chronic = flags
    assert list(population.labour_ability(ages, student, disabled, chronic, P.labour)) == [
        ref.labour_ability(a, s, d, c, Q.labour) for a, s, d, c in zip(ages, student, disabled, chronic)]
    assert np.allclose(shocks.illness_probability(ages, chronic, P),
                       [ref.illness_probability(a, c, Q) for a, c in zip(ages, chronic)])
    assert np.allclose(demography.mortality(ages, P), [ref.death_probability(a, Q) for a in ages])
    residual = np.linspace(0, 300_000, 601)
    assert np.allclose(transfers.critical_illness_cumulative(residual, P),
                       [income.critical_illness_cumulative(x, Q.transfers.health_insurance) for x in residual])
    assert ref.JOBS == JOBS


def _agree(runs, key, what, digits):
    """Assert the paired Bonferroni checks of ``key`` pass; print them; return the report."""
    failed, report, critical = bonferroni_failures(paired_differences(runs, key))
    print(f"\n{what}, engine - reference, |t| bar {critical:.2f}:\n" + report.round(digits).to_string())
    assert failed.empty, f"engine and reference disagree on {what}:\n{failed}"
    return report


@pytest.mark.slow
def test_yearly_income_by_component(runs):
    rate = np.mean([r["household_months_per_second"] for r in runs])
    print(f"\nreference speed: {rate:,.0f} household-months per second at {HOUSEHOLDS:,} households")
    _agree(runs, "income", "income per capita (yuan/year)", 2)


@pytest.mark.slow
def test_disposable_income_by_group(runs):
    """Every group of the accounts (county, cohort, alleviated, monitored, migrant kind, key
    village): the two implementations sort households into groups independently."""
    failed, report, critical = bonferroni_failures(paired_differences(runs, "groups"))
    print(f"\ndisposable income by group, engine - reference, |t| bar {critical:.2f}: "
          f"largest |t| {report['t'].abs().max():.2f}")
    assert failed.empty, f"engine and reference disagree on group incomes:\n{failed}"


@pytest.mark.slow
def test_income_distribution_2022(runs):
    """KS on households pooled over seeds. The asymptotic ``ks_2samp`` p-value assumes independent
    households, but households of one run share the year's price and county-disaster shocks:
    engine against engine (60 null trials of 20 seeds) gave asymptotic p < 0.001 in 5% of trials.
    The within-seed permutation p-value is exact under agreement."""
    engine = [r["engine"]["incomes_2022"] for r in runs]
    reference = [r["reference"]["incomes_2022"] for r in runs]
    d, p = permutation_ks(engine, reference)
    naive = stats.ks_2samp(np.concatenate(engine), np.concatenate(reference))
    print(f"\n2022 per-capita household income: KS D = {d:.4f}, permutation p = {p:.4f}"
          f" (asymptotic ks_2samp D = {naive.statistic:.4f}, p = {naive.pvalue:.4f}; "
          f"{sum(map(len, engine))} and {sum(map(len, reference))} households)")
    assert abs(d - naive.statistic) < 1e-9
    assert p >= ALPHA, f"2022 income distributions differ: KS D = {d:.4f}, p = {p:.5f}"


@pytest.mark.slow
def test_employment_by_kind(runs):
    report = _agree(runs, "employment", "employment (persons, yearly mean of months)", 3)
    assert set(report.index.get_level_values("kind")) == {*JOBS, "labour"}


@pytest.mark.slow
def test_fiscal_spending_by_lever(runs):
    _agree(runs, "fiscal", "spending (yuan/year)", 1)


@pytest.mark.slow
def test_finite_jobs_of_monitored_households(runs):
    """Hiring priority: persons in near-home, workshop, park and post jobs whose household is
    monitored (yearly mean of months). The shares of ``test_household_indicators`` barely move
    when the priority is dropped; this count does."""
    _agree(runs, "priority", "finite jobs of monitored households (persons)", 3)


@pytest.mark.slow
def test_household_indicators(runs):
    _agree(runs, "indicators", "household indicators (shares)", 4)


@pytest.mark.slow
def test_same_tables(runs):
    """The reference's own accounts give the engine's rows: the same comparisons exist."""
    for key in ("income", "groups", "employment", "fiscal", "indicators", "priority"):
        engine, reference = runs[0]["engine"][key].index, runs[0]["reference"][key].index
        assert engine.is_unique and reference.is_unique and sorted(engine) == sorted(reference), key
    components = {*engine_accounts.COMPONENTS, "disposable"}
    assert set(runs[0]["engine"]["income"].index.get_level_values("component")) == components
    assert set(reference_accounts.COMPONENTS) == set(engine_accounts.COMPONENTS)
    assert set(reference_accounts.LEVERS) == set(engine_accounts.LEVERS)
    assert reference_accounts.all_groups() == engine_accounts.GROUP_ROWS


@pytest.mark.slow
@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_rule_fails_the_agreement_checks(runs, name):
    """Break one rule in one implementation: the same checks, on the same 20 seeds, must fail.

    Only the broken side is re-run; the other side's runs are those of ``runs`` (same streams).
    """
    side, _, must_fail = BREAKS[name]
    with ProcessPoolExecutor(max_workers=2) as pool:
        broken = list(pool.map(run_broken_side, [(s, name) for s in SEEDS]))
    mixed = [{**r, side: b[side]} for r, b in zip(runs, broken)]
    for key in must_fail:
        failed, report, critical = bonferroni_failures(paired_differences(mixed, key))
        worst = report.loc[report["t"].abs().sort_values(ascending=False).index[:5]]
        print(f"\n{name}: {key}, |t| bar {critical:.2f}, {len(failed)} of {len(report)} fail; "
              f"largest |t|:\n{worst.round(3).to_string()}")
        assert not failed.empty, f"{name} was not caught by the {key} checks"


@pytest.fixture(scope="module")
def package_runs():
    """12 paired runs of the package with all levers (Fujian placements, cooperatives, leading
    industries, cattle parks, online sales, organised transfer, raised dibao ...)."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run_package_pair, PACKAGE_SEEDS))


def test_package_incomes_and_indicators_agree(package_runs):
    for key in ("income", "indicators"):
        failures, report, critical = bonferroni_failures(paired_differences(package_runs, key))
        assert failures.empty, f"{key}: |t| > {critical:.2f}\n{failures}"
