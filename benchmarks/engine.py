"""Speed of the array engine against the per-household Mesa reference, at Ningxia scale, and small runs.

Usage::

    python benchmarks/engine.py                       # all measurements (about 1 minute)
    python benchmarks/engine.py --skip-reference      # only the engine figures

The last line printed is one JSON object with the figures (issue 12's output contract).

1. ``ratio_2k`` and ``ratio_50k``: household-months per second of the engine over its whole run
   (model construction and the 84 months with the 24-month burn-in, as ``sim run`` does them)
   divided by the reference's. Engine and reference run in this process on the baseline and on
   copies of the same synthetic population. At 2,000 households the reference runs all 84
   months too. At 50,000 households it would take about two minutes, so it runs the first
   ``--reference-months`` months (24: the burn-in) and only the second year (months 13-24: one
   January, one December, one harvest, after a year of settling) is timed, per household-month.
   The engine figure is the median of ``--repeat`` runs. Ratios are of CPU time
   (``time.process_time``; both are single-threaded), which other processes on a shared machine
   disturb less than wall time; ``*_wall`` figures give the wall-time ratios too.
2. ``ningxia_seconds`` and ``ningxia_peak_mib``: one ``sim.runner.run`` at Ningxia scale
   (270,000 households, about 1.23 million persons; population, the 84 months and the tables in
   memory, not written) in a fresh child process, with its wall time and peak resident memory
   (the child's whole process: interpreter and imports included); ``ningxia_cpu_seconds`` is its
   CPU time.
3. ``small_run_seconds``: ``sim.runner.run`` with 5,000 households in this process, population
   and tables included; the median of ``--repeat`` runs after one warm-up run (wall and CPU).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model import MigrantIncomeModel  # noqa: E402
from sim.population import build_population  # noqa: E402
from sim.reference import ReferenceModel  # noqa: E402
from sim.runner import run  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

NINGXIA_HOUSEHOLDS = 270_000  # about 1,232,600 relocated people (household_facts.csv) / 4.54
SMALL_HOUSEHOLDS = 5_000
WARM_UP_MONTHS = 12  # reference months run but not timed at 50,000 households: the first year


def clocks():
    return np.array([time.process_time(), time.perf_counter()])


def engine_rate(scenario, population, seed, repeat):
    """Median household-months per second (CPU, wall) of whole engine runs, construction included."""
    rates = []
    for _ in range(repeat):
        pop = population.copy()
        start = clocks()
        model = MigrantIncomeModel(scenario, population=pop, rng=np.random.default_rng(seed))
        while model.running:
            model.step()
        rates.append(len(model.calendar) * population.households.n / (clocks() - start))
    return np.median(rates, axis=0), len(model.calendar)


def reference_rate(scenario, population, seed, months, warm_up):
    """Household-months per second (CPU, wall) of the reference over months ``warm_up + 1`` to ``months``."""
    model = ReferenceModel(scenario, population=population.copy(), rng=np.random.default_rng(seed))
    months = min(months, len(model.calendar))
    for _ in range(warm_up):
        model.step()
    start = clocks()
    for _ in range(months - warm_up):
        model.step()
    return (months - warm_up) * population.households.n / (clocks() - start)


def side_by_side(scenario, households, seed, repeat, months, warm_up):
    pop = build_population(scenario.parameters.at(scenario.start), households, np.random.default_rng(seed))
    engine, total = engine_rate(scenario, pop, seed + 1, repeat)
    reference = reference_rate(scenario, pop, seed + 1, months or total, warm_up)
    print(f"{households:,} households: engine {engine[0]:,.0f} household-months per CPU second "
          f"({total} months), reference {reference[0]:,.0f}; ratio {engine[0] / reference[0]:,.0f}x "
          f"(wall: {engine[1] / reference[1]:,.0f}x)")
    return engine / reference


def ningxia_child(households):
    """One ``run`` at Ningxia scale; prints wall time and peak memory as JSON."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    start = clocks()
    run(scenario, 0, households)
    cpu, wall = clocks() - start
    print(json.dumps({"seconds": wall, "cpu_seconds": cpu,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def ningxia():
    cmd = [sys.executable, __file__, "--ningxia-child"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(f"Ningxia, {NINGXIA_HOUSEHOLDS:,} households, run with burn-in: {r['seconds']:.2f} s "
          f"({r['cpu_seconds']:.2f} s CPU), "
          f"peak {r['peak_mib']:,.0f} MiB")
    return r


def small_run(scenario, repeat):
    run(scenario, 0, SMALL_HOUSEHOLDS)
    times = []
    for seed in range(1, repeat + 1):
        start = clocks()
        run(scenario, seed, SMALL_HOUSEHOLDS)
        times.append(clocks() - start)
    cpu, wall = np.median(times, axis=0)
    print(f"{SMALL_HOUSEHOLDS:,} households, run in process: median {wall:.3f} s ({cpu:.3f} s CPU)")
    return wall, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reference-months", type=int, default=24)
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--ningxia-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ningxia_child:
        return ningxia_child(NINGXIA_HOUSEHOLDS)
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    figures = {"load_average_1min": os.getloadavg()[0]}
    if not args.skip_reference:
        figures["ratio_2k"], figures["ratio_2k_wall"] = side_by_side(
            scenario, 2_000, args.seed, args.repeat, None, 0)
        figures["ratio_50k"], figures["ratio_50k_wall"] = side_by_side(
            scenario, 50_000, args.seed, max(args.repeat // 2, 1), args.reference_months, WARM_UP_MONTHS)
    r = ningxia()
    figures.update(ningxia_seconds=r["seconds"], ningxia_cpu_seconds=r["cpu_seconds"],
                   ningxia_peak_mib=r["peak_mib"])
    figures["small_run_seconds"], figures["small_run_cpu_seconds"] = small_run(scenario, args.repeat)
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
