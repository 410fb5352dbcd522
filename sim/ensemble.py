"""Ensembles: replications with their own random streams and parameter draws, on any executor.

Replication ``r`` of an ensemble with root seed ``S`` gets the stream
``numpy.random.SeedSequence(S).spawn(R + 1)[r]`` and the ``r``-th row of a Latin hypercube of the
uncertain parameters drawn from child ``R``; neither depends on the executor, the number of
workers or the order replications finish, so every executor gives the same tables.

The ensemble directory is built as ``.<name>.partial`` beside its final place. Each replication's
tables are written there as soon as it finishes (atomically, with a manifest of checksums and the
ensemble's fingerprint), so a killed ensemble loses only the replications in flight, and running
the same command again finishes only the missing ones (or, once the ensemble is complete,
returns it rather than writing a copy); a damaged or foreign replication folder is
reported by name and run again. When all are done the tables are gathered into a new folder,
which is renamed into place. A lock file (``.<name>.lock``) keeps two commands from writing the
same ensemble at once.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import capacity, storage, uncertainties
from .errors import DiskFullError
from .runner import CSV_ENCODING, FLOAT_FORMAT, free_name, run, run_record

# What targets and charts read; the monthly tables stay out so memory stays flat.
KEPT_TABLES = ("income_yearly", "households_yearly", "fiscal_yearly")
LABEL_SUFFIXES = ("_zh", "_en")
SPEC_FILE = "ensemble.json"
PUBLISHING_FILE = "publishing.json"  # in a partial ensemble: the token of the directory being published
DIGEST_CHARS = 16  # hex characters of SHA-256 kept as an ensemble's fingerprint (64 bits)


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


def _digest(spec):
    """A short fingerprint of an ensemble's settings; every replication folder carries it."""
    text = json.dumps(spec, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def _write_replication(tables, partial, index, digest):
    """Save one replication's tables with a manifest, as a folder renamed into place when complete."""
    tmp = storage.temp_dir(partial / "replications", f"{index:05d}")
    try:
        for name, df in tables.items():
            storage.write_csv(df, tmp / f"{name}.csv", index=False, encoding=CSV_ENCODING,
                              float_format=FLOAT_FORMAT)
        storage.write_manifest(tmp, ensemble=digest, replication=index)
        os.rename(tmp, partial / "replications" / f"{index:05d}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _clear_temporaries(folder):
    """Remove what interrupted writes left in ``folder`` (names ``.*.tmp``); only the lock holder calls this."""
    for p in folder.glob(".*.tmp"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def _partial_dir(out, stem, spec):
    """The directory of an unfinished ensemble with the same spec, or a new one."""
    partial = out / f".{stem}.partial"
    (partial / "replications").mkdir(parents=True, exist_ok=True)
    _clear_temporaries(partial)
    _clear_temporaries(partial / "replications")
    try:
        old = json.loads((partial / SPEC_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = None  # never written (killed at creation): each replication's manifest says whose it is
    if old is None:
        storage.write_json(partial / SPEC_FILE, spec)
    elif old != spec:
        raise FileExistsError(f"{partial} holds an unfinished ensemble with other settings; "
                              "finish it with its own command, or remove it")
    return partial


def _saved_replications(partial, replications, digest, warn):
    """Indices of the replications saved intact; damaged or foreign ones are reported and removed."""
    done = set()
    for folder in sorted((partial / "replications").iterdir()):
        index = int(folder.name) if folder.name.isdigit() else -1
        if not 0 <= index < replications or folder.name != f"{index:05d}" or not folder.is_dir():
            problems = [("(name)", f"not a replication of this ensemble (0 to {replications - 1})")]
        else:
            problems = storage.manifest_problems(folder, ensemble=digest, replication=index)
            problems += [(f"{n}.csv", "missing") for n in KEPT_TABLES if not (folder / f"{n}.csv").is_file()]
        if problems:
            for file, problem in problems:
                warn(f"{folder / file}: {problem}: not used; the replication is run again")
            shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
        else:
            done.add(index)
    return done


def _published(out, stem, partial):
    """The directory a killed run had already published from ``partial`` (but not tidied up), or None.

    Before publishing, ``_finish`` writes a fresh token both into the final directory's manifest
    and into ``partial/PUBLISHING_FILE``; a directory carrying that token is this ensemble's.
    """
    try:
        token = json.loads((partial / PUBLISHING_FILE).read_text(encoding="utf-8"))["token"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for candidate in sorted(out.glob(f"{stem}*")):
        if candidate.is_dir() and not storage.manifest_problems(candidate, strict=False, publishing=token):
            return candidate
    return None


def _finished(out, stem, digest):
    """A complete, intact ensemble with these settings already in ``out``, or None.

    Running a finished ensemble's command again returns it instead of writing a copy. Files the
    analyses added later (``targets.csv``, ``sensitivity.csv``, ``charts/``) do not make it foreign;
    a changed or missing table does.
    """
    for candidate in sorted(out.glob(f"{stem}*")):
        if candidate.is_dir() and not storage.manifest_problems(candidate, strict=False, ensemble=digest):
            return candidate
    return None


def _finish(partial, out, stem, digest, draws, record):
    """Gather the replications into the final directory, publish it, then remove the partial one."""
    replications = record["replications"]
    target = _published(out, stem, partial)
    if target is None:
        final = storage.temp_dir(partial, "final")
        for name in KEPT_TABLES:
            frames = (pd.read_csv(partial / "replications" / f"{r:05d}" / f"{name}.csv", encoding=CSV_ENCODING)
                      for r in range(replications))
            storage.write_csv(pd.concat(frames, ignore_index=True), final / f"{name}.csv", index=False,
                              encoding=CSV_ENCODING, float_format=FLOAT_FORMAT)
        storage.write_csv(draws, final / "draws.csv", encoding=CSV_ENCODING, float_format="%.6g")
        storage.write_json(final / "run.json", record)
        token = uuid.uuid4().hex
        storage.write_manifest(final, ensemble=digest, publishing=token)
        storage.write_json(partial / PUBLISHING_FILE, {"token": token})
        target = storage.publish(final, out, stem, free_name)
    trash = partial.with_name(partial.name + f".done-{os.getpid()}.tmp")
    os.rename(partial, trash)  # at once: a kill from here on leaves no partial to resume
    shutil.rmtree(trash)
    return target


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
    digest = _digest(spec)
    out.mkdir(parents=True, exist_ok=True)
    with storage.FolderLock(out / f".{stem}.lock", out / f".{stem}.partial") as lock:
        if lock.previous and progress:
            print(f"took over the lock of a process that is gone: {lock.previous}", file=sys.stderr)
        try:
            return _run_locked(scenario, replications, seed, out, stem, spec, digest, households, burn_in,
                               executor, workers, client, progress, label, table)
        except DiskFullError as e:
            e.total = capacity.ensemble_disk_bytes(replications)
            raise


def _run_locked(scenario, replications, seed, out, stem, spec, digest, households, burn_in, executor,
                workers, client, progress, label, table):
    for trash in out.glob(f".{stem}.partial.done-*.tmp"):
        shutil.rmtree(trash)
    finished = None if (out / f".{stem}.partial").exists() else _finished(out, stem, digest)
    if finished is not None:
        print(f"{finished} already holds this ensemble, complete and intact: not run again",
              file=sys.stderr)
        return finished
    partial = _partial_dir(out, stem, spec)
    reps, draws = design(scenario, replications, seed, table)
    done = _saved_replications(partial, replications, digest, lambda m: print(m, file=sys.stderr))
    tasks = [(scenario, households, burn_in, r) for r in reps if r.index not in done]
    with tqdm(total=replications, initial=len(done), unit="replication", desc=scenario.name,
              mininterval=0.5, disable=not progress) as bar:
        for index, tables in execute(tasks, executor, workers, client):
            _write_replication(tables, partial, index, digest)
            bar.update(1)
    record = {**run_record(scenario, seed, households, burn_in), "replications": replications,
              "executor": executor, "tables": list(KEPT_TABLES), "draws": label}
    return _finish(partial, out, stem, digest, draws, record)
