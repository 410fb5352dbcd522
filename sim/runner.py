"""One run: scenario and seed in, tidy tables out; and the run directory that records it.

``run`` is a pure function of (scenario, seed, households): same inputs, same tables.
``write_run`` writes a run directory under a temporary name and renames it when complete; an
existing directory is never overwritten (a new one gets a numbered name).
"""
from __future__ import annotations

import datetime as dt
import platform
import shutil
import subprocess
from pathlib import Path

import mesa
import numpy as np

from . import __version__, storage
from .model import MigrantIncomeModel
from .population import build_population

# CSV for Excel: UTF-8 with a byte-order mark, so Chinese labels open correctly.
CSV_ENCODING = "utf-8-sig"
FLOAT_FORMAT = "%.4f"


def seed_streams(seed):
    """Independent streams for the population and the model dynamics of one run.

    ``seed`` is an int or a ``numpy.random.SeedSequence`` (an ensemble's replication stream).
    The children are those ``root.spawn(2)`` gives a fresh sequence, built without spawning, so
    that running the same replication twice in one process gives the same streams.
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    population, dynamics = (np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, k),
                                                   pool_size=root.pool_size) for k in range(2))
    return np.random.default_rng(population), np.random.default_rng(dynamics)


def run(scenario, seed, households=None, burn_in=None, progress=None):
    """Simulate ``scenario`` once.

    Parameters
    ----------
    scenario : sim.scenario.Scenario
    seed : int or numpy.random.SeedSequence
        Root seed; the population and the dynamics get independent child streams.
    households : int, optional
        Simulated households; by default the scenario's.
    burn_in : int, optional
        Burn-in months; by default ``model.burn_in_months``.
    progress : callable, optional
        Called as ``progress(done, total)`` after each month.

    Returns
    -------
    dict of pandas.DataFrame
        ``income_yearly``, ``income_monthly``, ``employment_monthly``, ``fiscal_yearly``,
        ``households_yearly``.
    """
    pop_rng, model_rng = seed_streams(seed)
    population = build_population(scenario.parameters.at(scenario.start),
                                  households or scenario.households, pop_rng)
    model = MigrantIncomeModel(scenario, population=population, rng=model_rng, burn_in=burn_in)
    total = len(model.calendar)
    while model.running:
        model.step()
        if progress:
            progress(model.steps, total)
    return model.accounts.tables()


def git_commit():
    """The commit of the source tree, with ``-dirty`` if it has uncommitted changes."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def run_record(scenario, seed, households, burn_in):
    """What ``run.json`` holds: the resolved scenario, seed, versions and commit."""
    if burn_in is None:
        burn_in = scenario.parameters["model.burn_in_months"].at(scenario.start)
    return {"sim_version": __version__, "git_commit": git_commit(), "seed": seed,
            "households": households, "burn_in_months": burn_in,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__,
            "scenario": scenario.to_record(),
            "parameters": scenario.parameters.table()}


def free_name(root, stem, suffix=""):
    """``root/stem+suffix``, or ``root/stem-2+suffix``, ``-3`` ... if taken: never an existing path."""
    candidate, k = root / f"{stem}{suffix}", 1
    while candidate.exists():
        k += 1
        candidate = root / f"{stem}-{k}{suffix}"
    return candidate


def write_run(tables, record, out_root, stem):
    """Write the tables and ``run.json`` to a new directory below ``out_root``.

    Files are written into a temporary directory beside the target, with a manifest of their
    checksums last, and the directory is renamed into place only when complete, so an
    interrupted write (even ``kill -9`` or a full disk) leaves no half-written run directory.

    Returns
    -------
    pathlib.Path
        The run directory.
    """
    tmp = storage.temp_dir(out_root, stem)
    try:
        for name, df in tables.items():
            storage.write_csv(df, tmp / f"{name}.csv", index=False, encoding=CSV_ENCODING,
                              float_format=FLOAT_FORMAT)
        storage.write_json(tmp / "run.json", record)
        storage.write_manifest(tmp)
        return storage.publish(tmp, out_root, stem, free_name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
