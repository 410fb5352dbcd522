"""Speed of the array engine against the per-household Mesa reference, and at Ningxia scale.

Usage::

    python benchmarks/engine.py                 # both measurements
    python benchmarks/engine.py --households 2000 --skip-ningxia

1. Engine and reference run side by side in this process on the same scenario and the same
   synthetic population; each reports household-months per second (burn-in months included,
   since both simulate them) and the ratio is printed.
2. One Ningxia-scale run (270,000 households, about 1.23 million relocated people) runs in a
   fresh child process, which reports its wall time and peak resident memory: once with exactly
   the 60 reported months (no burn-in) and once as ``python -m sim run`` does it (with burn-in).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model import simulate  # noqa: E402
from sim.population import build_population  # noqa: E402
from sim.reference import simulate_reference  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

NINGXIA_HOUSEHOLDS = 270_000  # about 1,232,600 relocated people (household_facts.csv) / 4.54


def household_months_per_second(fn, scenario, population, seed, burn_in):
    start = time.perf_counter()
    model = fn(scenario, population.copy(), np.random.default_rng(seed), burn_in=burn_in)
    seconds = time.perf_counter() - start
    return len(model.calendar) * population.households.n / seconds, seconds


def side_by_side(scenario, households, seed, burn_in):
    pop = build_population(scenario.parameters.at(scenario.start), households,
                           np.random.default_rng(seed))
    engine, t_engine = household_months_per_second(simulate, scenario, pop, seed + 1, burn_in)
    reference, t_ref = household_months_per_second(simulate_reference, scenario, pop, seed + 1, burn_in)
    print(f"{households:,} households, {len(scenario.months()) + burn_in} months (burn-in {burn_in})")
    print(f"  engine     {engine:14,.0f} household-months/s  ({t_engine:.2f} s)")
    print(f"  reference  {reference:14,.0f} household-months/s  ({t_ref:.2f} s)")
    print(f"  ratio      {engine / reference:14,.0f} x  (goal: at least 100 x)")
    return engine / reference


def ningxia_child(households, burn_in):
    """Run once at Ningxia scale and print wall time and peak memory as JSON."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    start = time.perf_counter()
    pop = build_population(scenario.parameters.at(scenario.start), households, np.random.default_rng(0))
    built, persons = time.perf_counter(), int(pop.persons.n)
    model = simulate(scenario, pop, np.random.default_rng(1), burn_in=burn_in)
    model.accounts.tables()
    end = time.perf_counter()
    print(json.dumps({"households": households, "persons": persons,
                      "months": len(model.calendar), "population_s": built - start,
                      "simulation_s": end - built, "total_s": end - start,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def ningxia(households, burn_in):
    cmd = [sys.executable, __file__, "--ningxia-child", "--households", str(households)]
    if burn_in is not None:
        cmd += ["--burn-in", str(burn_in)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(f"{r['households']:,} households ({r['persons']:,} persons) x {r['months']} months: "
          f"{r['total_s']:.1f} s (population {r['population_s']:.1f} s, simulation {r['simulation_s']:.1f} s), "
          f"peak memory {r['peak_rss_mib']:,.0f} MiB  (goal: under 15 s and 2 GiB for 60 months)")
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=None)
    ap.add_argument("--burn-in", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-ningxia", action="store_true")
    ap.add_argument("--ningxia-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ningxia_child:
        return ningxia_child(args.households, args.burn_in)
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    burn_in = args.burn_in if args.burn_in is not None else int(
        scenario.parameters["model.burn_in_months"].at(scenario.start))
    print("== engine against the per-household Mesa reference ==")
    side_by_side(scenario, args.households or 2_000, args.seed, burn_in)
    if not args.skip_ningxia:
        print("== Ningxia scale ==")
        ningxia(NINGXIA_HOUSEHOLDS, 0)
        ningxia(NINGXIA_HOUSEHOLDS, None)


if __name__ == "__main__":
    main()
