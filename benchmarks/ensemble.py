"""Ensemble throughput at Zhongwei scale with 1 and 2 worker processes.

Usage::

    python benchmarks/ensemble.py                       # 16 replications x 50,000 households
    python benchmarks/ensemble.py --replications 200

Each measurement runs ``run_ensemble`` on the baseline (2021-2025 with burn-in) into a fresh
temporary directory and reports replications per minute; the ratio of the two is the scaling
across workers (2 would be linear on this 2-core machine). It also checks that both give the
same tables, byte for byte. The last line printed is one JSON object with the figures
(``minutes_for_1000`` extrapolates the 2-worker rate to 1,000 replications). CPU seconds per
replication (this process and the workers, spawn and imports included) are less disturbed by
other processes on a shared machine than the wall-time rates.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.ensemble import run_ensemble  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def cpu_seconds():
    """CPU time of this process and of its finished children (the worker processes)."""
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def measure(scenario, replications, households, workers, out):
    start, cpu = time.perf_counter(), cpu_seconds()
    path = run_ensemble(scenario, replications, 0, out=out, households=households,
                        executor="processes", workers=workers, progress=False)
    minutes = (time.perf_counter() - start) / 60
    cpu = (cpu_seconds() - cpu) / replications
    print(f"  {workers} worker(s): {replications / minutes:6.1f} replications/minute "
          f"({minutes * 60:.1f} s for {replications}; {cpu:.2f} CPU s per replication)")
    return replications / minutes, path, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replications", type=int, default=16)
    ap.add_argument("--households", type=int, default=50_000)
    args = ap.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    print(f"== ensemble: {args.replications} replications x {args.households:,} households ==")
    with tempfile.TemporaryDirectory() as tmp:
        one, a, cpu_one = measure(scenario, args.replications, args.households, 1, Path(tmp) / "w1")
        two, b, cpu_two = measure(scenario, args.replications, args.households, 2, Path(tmp) / "w2")
        same = all(filecmp.cmp(a / f, b / f, shallow=False) for f in ("income_yearly.csv", "households_yearly.csv"))
    print(f"  scaling 1 -> 2 workers: {two / one:.2f} x (linear: 2.00); identical tables: {same}")
    print(f"  1,000 replications would take {1000 / two:.1f} minutes with 2 workers (goal: under 5)")
    print(json.dumps({"reps_per_min_1": round(one, 2), "reps_per_min_2": round(two, 2),
                      "scaling": round(two / one, 3), "minutes_for_1000": round(1000 / two, 2),
                      "cpu_seconds_per_replication_1": round(cpu_one, 3),
                      "cpu_seconds_per_replication_2": round(cpu_two, 3), "identical_tables": same, "replications": args.replications,
                      "households": args.households, "load_average_1min": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
