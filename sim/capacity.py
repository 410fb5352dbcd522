"""What a run, ensemble or comparison will need in memory and disk, checked against this machine.

The estimates are linear in the sizes asked for, with coefficients measured on this project's
model (commands in ``docs/reliability.md``) and a margin. They are checked before anything is
allocated, so an impossible request is refused at once with the estimate and the limit instead
of failing after hours, or swapping the machine to a halt.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import psutil

from .errors import InputError

# Measured 2026-12-03 (Python 3.11, numpy 2.4, baseline scenario), ru_maxrss of a fresh process:
PROCESS_BASE_BYTES = 105_000_000       # bytes: a process with sim imported, before simulating (104 MB)
MEMORY_PER_HOUSEHOLD_BYTES = 740       # bytes/household: peak growth of one run, 148 MB at 200,000
MEMORY_PER_REPLICATION_BYTES = 94_000  # bytes/replication: its kept yearly tables in pandas (deep)
GATHER_COPIES = 2                      # the tables are held twice while gathered (parts + whole)
DISK_PER_REPLICATION_BYTES = 25_400    # bytes/replication: its saved yearly tables (23.1 kB) + draws row
DISK_COPIES = 2                        # replication folders and the gathered tables exist together
DISK_RECORD_BYTES = 46_000             # bytes: run.json (the resolved parameters), per directory
DISK_RUN_BYTES = 670_000               # bytes: a single run's tables (monthly ones included)
# Margin over the measured figures (other scenarios keep more groups, allocator slack). Assumption:
# the figures vary by less than +-30% between scenarios; 1.5 covers that with room.
SAFETY_FACTOR = 1.5
COMMAND_LINE = "command line"


def _gb(n):
    return f"{n / 1e9:,.2f} GB"


def memory_bytes(households, replications=None, workers=None, ensembles=1):
    """Estimated peak memory (bytes) of a run, or of ``ensembles`` ensembles compared together."""
    per_run = PROCESS_BASE_BYTES + households * MEMORY_PER_HOUSEHOLD_BYTES
    if not replications:
        return SAFETY_FACTOR * per_run
    parallel = min(workers or os.cpu_count() or 1, replications)
    tables = ensembles * replications * MEMORY_PER_REPLICATION_BYTES * GATHER_COPIES
    return SAFETY_FACTOR * (PROCESS_BASE_BYTES + parallel * per_run + tables)


def ensemble_disk_bytes(replications, ensembles=1):
    """Estimated disk (bytes) of ``ensembles`` ensembles of ``replications`` while being written."""
    per = replications * DISK_PER_REPLICATION_BYTES * DISK_COPIES + DISK_RECORD_BYTES
    return SAFETY_FACTOR * ensembles * per


def disk_bytes(replications=None, ensembles=1):
    """Estimated disk (bytes) of a run, or of the ensembles of a comparison."""
    if not replications:
        return SAFETY_FACTOR * (DISK_RUN_BYTES + DISK_RECORD_BYTES)
    return ensemble_disk_bytes(replications, ensembles)


def available_memory():
    """Bytes of memory available to a new allocation without swapping (psutil)."""
    return psutil.virtual_memory().available


def available_disk(folder):
    """Bytes free on the file system that holds ``folder`` (or its nearest existing parent)."""
    folder = Path(folder).absolute()
    while not folder.exists():
        folder = folder.parent
    return shutil.disk_usage(folder).free


def check(households, replications=None, workers=None, out="results", ensembles=1):
    """Refuse sizes this machine cannot hold, before anything is allocated.

    Raises
    ------
    InputError
        Naming the option, the estimate and the limit.
    """
    memory, limit = memory_bytes(households, replications, workers, ensembles), available_memory()
    if memory > limit:
        parallel = min(workers or os.cpu_count() or 1, replications or 1)
        households_term = parallel * households * MEMORY_PER_HOUSEHOLD_BYTES
        key = "--households" if households_term > replications_term(replications, ensembles) else "--replications"
        raise InputError(COMMAND_LINE, key, f"{households:,} households" +
                         (f", {replications:,} replications, {workers or os.cpu_count()} workers"
                          if replications else "") +
                         f" need about {_gb(memory)} of memory (estimate: {MEMORY_PER_HOUSEHOLD_BYTES} bytes "
                         f"per household per worker, {MEMORY_PER_REPLICATION_BYTES:,} per replication, "
                         f"margin {SAFETY_FACTOR}); this machine has {_gb(limit)} available")
    disk, free = disk_bytes(replications, ensembles), available_disk(out)
    if disk > free:
        raise InputError(COMMAND_LINE, "--replications" if replications else "--out",
                         f"the results need about {_gb(disk)} of disk (estimate: "
                         f"{DISK_PER_REPLICATION_BYTES:,} bytes per replication, kept twice while gathered, "
                         f"margin {SAFETY_FACTOR}); {out} has {_gb(free)} free")


def replications_term(replications, ensembles):
    """Bytes of tables the replications hold in memory (the part of the estimate they decide)."""
    return (replications or 0) * ensembles * MEMORY_PER_REPLICATION_BYTES * GATHER_COPIES
