"""Where a run's time goes: ``sim.runner.run`` under cProfile, CPU time per function of ``sim``.

Usage::

    python benchmarks/where_time_goes.py                      # 50,000 households, seed 1
    python benchmarks/where_time_goes.py --households 5000 --top 25

Prints a Markdown table of the functions of ``sim`` with the largest cumulative CPU time
(``time.process_time``, so other processes on a shared machine disturb it less) as a share of
the whole run (population, the 84 months with burn-in, and the tables), then the total as the
last line. One warm-up run comes first, so imports and caches are not counted.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.runner import run  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    run(scenario, 0, 2_000)
    profiler = cProfile.Profile(time.process_time)
    start = time.process_time()
    profiler.runcall(run, scenario, args.seed, args.households)
    total = time.process_time() - start
    stats = pstats.Stats(profiler).stats
    rows = []
    for (file, line, name), (_, calls, own, cumulative, _) in stats.items():
        if f"{ROOT.name}/sim/" in file or "/sim/" in file and "site-packages" not in file:
            module = file.split("/sim/", 1)[1].removesuffix(".py").replace("/", ".")
            rows.append((cumulative, own, calls, f"{module}.{name}"))
    rows.sort(reverse=True)
    print(f"| function | share of run (cumulative) | own share | calls |\n|---|---|---|---|")
    for cumulative, own, calls, name in rows[:args.top]:
        print(f"| `{name}` | {cumulative / total:.1%} | {own / total:.1%} | {calls:,} |")
    print(f"total CPU {total:.3f} s, {args.households:,} households")


if __name__ == "__main__":
    main()
