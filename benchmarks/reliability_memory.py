"""Peak memory of one run by number of households: the figures behind sim/capacity.py.

Usage (one fresh process per figure, started from the shell so ru_maxrss is its own)::

    for h in 0 2000 10000 40000 100000 200000; do
        PYTHONPATH=$PWD python benchmarks/reliability_memory.py $h; done

Prints: households, ru_maxrss before the run (kB), after the run (kB), seconds.
"""
import resource
import sys
import time

from sim.runner import run
from sim.scenario import load_scenario

scenario = load_scenario("scenarios/baseline.yaml")
households = int(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.time()
if households:
    run(scenario, 0, households)
print(households, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, round(time.time() - start, 1))
