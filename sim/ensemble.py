"""Ensembles: replications with their own random streams and parameter draws, on any executor.

Replication ``r`` of an ensemble with root seed ``S`` gets the stream
``numpy.random.SeedSequence(S).spawn(R + 1)[r]`` and the ``r``-th row of a Latin hypercube of the
uncertain parameters drawn from child ``R``; neither depends on the executor, the number of
workers or the order replications finish, so every executor gives the same tables.

The ensemble directory is built as ``.<name>.partial`` beside its final place. Each replication's
tables are written there as soon as it finishes, so a killed ensemble loses only the replications
in flight, and running the same command again finishes only the missing ones. When all are done
the tables are gathered, ``run.json`` is written and the directory is renamed into place.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import json
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import uncertainties
from .runner import CSV_ENCODING, FLOAT_FORMAT, free_name, run, run_record

# What targets and charts read; the monthly tables stay out so memory stays flat.
KEPT_TABLES = ("income_yearly", "households_yearly", "fiscal_yearly")
LABEL_SUFFIXES = ("_zh", "_en")
SPEC_FILE = "ensemble.json"


@dataclasses.dataclass(frozen=True)
class Replication:
    """One replication: its index, random stream and parameter draws."""

    index: int
    seed: object  # numpy.random.SeedSequence
    draws: dict


def design(scenario, replications, seed, draws=None):
    """The replications of an ensemble and the table of their parameter draws.

    ``draws`` (one row per replication, one column per parameter) replaces the Latin hypercube
    over the priors, for example draws from a calibrated distribution (``sim.calibration``).
    """
    children = np.random.SeedSequence(seed).spawn(replications + 1)
    if draws is None:
        draws = uncertainties.sample(scenario.parameters, replications, children[-1])
    reps = [Replication(r, children[r], draws.loc[r].to_dict()) for r in range(replications)]
    return reps, draws


def replicate(task):
    """Run one replication; returns its kept tables (labels dropped, ``replication`` added)."""
    scenario, households, burn_in, rep = task
    tree = uncertainties.apply(scenario.parameters, rep.draws, scenario.start, scenario.base_parameters)
    tables = run(dataclasses.replace(scenario, parameters=tree), rep.seed, households, burn_in)
    out = {}
    for name in KEPT_TABLES:
        df = tables[name]
        df = df[[c for c in df.columns if not c.endswith(LABEL_SUFFIXES)]]
        out[name] = df.assign(replication=rep.index)
    return rep.index, out


def _processes(tasks, workers):
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for future in cf.as_completed([pool.submit(replicate, t) for t in tasks]):
            yield future.result()


def dask_client(address, workers):
    """A Dask client: ``"local"`` starts a LocalCluster; otherwise connect, failing fast."""
    from distributed import Client, LocalCluster
    if address == "local":
        return Client(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None))
    try:
        return Client(address, timeout="5s")
    except (OSError, TimeoutError) as e:
        raise ConnectionError(f"cannot reach the Dask scheduler at {address!r}: {e}") from None


def _dask(tasks, client):
    from distributed import as_completed
    for future in as_completed(client.map(replicate, tasks, pure=False)):
        yield future.result()


def execute(tasks, executor, workers=None, client=None):
    """Run ``tasks`` on ``"serial"``, ``"processes"`` or ``"dask"``; yields results as they finish."""
    if executor == "serial" or not tasks:
        return map(replicate, tasks)
    if executor == "processes":
        return _processes(tasks, workers or os.cpu_count())
    if executor == "dask":
        return _dask(tasks, client)
    raise ValueError(f"executor must be serial, processes or dask, got {executor!r}")


def _spec(scenario, replications, seed, households, burn_in, draws):
    record = run_record(scenario, seed, households, burn_in)
    keep = ("sim_version", "seed", "households", "burn_in_months", "scenario", "parameters")
    return json.loads(json.dumps({**{k: record[k] for k in keep}, "replications": replications, "draws": draws},
                                 ensure_ascii=False, default=str))


def _write_tables(tables, directory):
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.parent))
    for name, df in tables.items():
        df.to_csv(tmp / f"{name}.csv", index=False, encoding=CSV_ENCODING, float_format=FLOAT_FORMAT,
                  lineterminator="\n")
    os.rename(tmp, directory)


def _partial_dir(out, stem, spec):
    """The directory of an unfinished ensemble with the same spec, or a new one."""
    partial = out / f".{stem}.partial"
    if partial.exists():
        old = json.loads((partial / SPEC_FILE).read_text(encoding="utf-8"))
        if old != spec:
            raise FileExistsError(f"{partial} holds an unfinished ensemble with other settings; "
                                  "finish it with its own command, or remove it")
    else:
        (partial / "replications").mkdir(parents=True)
        (partial / SPEC_FILE).write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
    return partial


def _gather(partial, replications):
    for name in KEPT_TABLES:
        frames = (pd.read_csv(partial / "replications" / f"{r:05d}" / f"{name}.csv", encoding=CSV_ENCODING)
                  for r in range(replications))
        pd.concat(frames, ignore_index=True).to_csv(partial / f"{name}.csv", index=False, encoding=CSV_ENCODING,
                                                    float_format=FLOAT_FORMAT, lineterminator="\n")
    shutil.rmtree(partial / "replications")


def run_ensemble(scenario, replications, seed, *, out="results", households=None, burn_in=None,
                 executor="processes", workers=None, client=None, progress=True, draws=None):
    """Run (or finish) an ensemble and write its directory.

    Parameters
    ----------
    scenario : sim.scenario.Scenario
    replications : int
    seed : int
        Root seed of the ensemble.
    out : path
        Where the ensemble directory goes.
    executor : {"serial", "processes", "dask"}
        ``"dask"`` needs ``client`` (see ``dask_client``).
    workers : int, optional
        Processes for ``"processes"`` (default: all cores).
    draws : (str, pandas.DataFrame), optional
        A name and the parameter draws to use instead of the prior's Latin hypercube (one row per
        replication); ``run.json`` and the directory name say which draws were used.

    Returns
    -------
    pathlib.Path
        The completed ensemble directory.
    """
    households = households or scenario.households
    out = Path(out)
    label, table = draws or ("prior", None)
    if table is not None and len(table) != replications:
        raise ValueError(f"{len(table)} rows of {label} draws for {replications} replications")
    stem = f"{scenario.name}-seed{seed}-h{households}-r{replications}" + ("" if table is None else f"-{label}")
    spec = _spec(scenario, replications, seed, households, burn_in,
                 label if table is None else {label: table.to_dict(orient="list")})
    out.mkdir(parents=True, exist_ok=True)
    partial = _partial_dir(out, stem, spec)
    reps, draws = design(scenario, replications, seed, table)
    done = {int(p.name) for p in (partial / "replications").iterdir() if not p.name.startswith(".")}
    tasks = [(scenario, households, burn_in, r) for r in reps if r.index not in done]
    with tqdm(total=replications, initial=len(done), unit="replication", desc=scenario.name,
              mininterval=0.5, disable=not progress) as bar:
        for index, tables in execute(tasks, executor, workers, client):
            _write_tables(tables, partial / "replications" / f"{index:05d}")
            bar.update(1)
    _gather(partial, replications)
    draws.to_csv(partial / "draws.csv", encoding=CSV_ENCODING, float_format="%.6g", lineterminator="\n")
    record = {**run_record(scenario, seed, households, burn_in), "replications": replications,
              "executor": executor, "tables": list(KEPT_TABLES), "draws": label}
    (partial / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str),
                                      encoding="utf-8")
    (partial / SPEC_FILE).unlink()
    target = free_name(out, stem)
    os.rename(partial, target)
    return target
