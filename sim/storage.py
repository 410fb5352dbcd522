"""Safe writing: atomic files and folders, checksummed manifests, folder locks, full-disk errors.

A kill (even ``kill -9``) at any moment leaves a file either as it was or complete: data go to a
temporary name in the same folder, are flushed and fsynced, and only then renamed into place
(``rename`` is atomic within one file system). Folders are built under a temporary name and
renamed when complete. A *manifest* (``manifest.json``, written last) records the size and
SHA-256 of every file of a folder, so a truncated, corrupted or foreign file is found on reading.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import resource
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from .errors import DiskFullError, FolderLockedError

MANIFEST = "manifest.json"
# Errors that mean "no room": device full, over the process's file-size limit, over quota.
NO_SPACE = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
HASH_CHUNK_BYTES = 1 << 20  # read files 1 MiB at a time when hashing
LOCK_POLL_SECONDS = 0.2  # how often a waiting lock looks again


def fsync_dir(directory):
    """Make a rename or a new file in ``directory`` durable (the folder's own entry)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def no_space(error, folder, needed, name):
    """The :class:`DiskFullError` for an ``OSError`` that means no room, else None."""
    if not isinstance(error, OSError) or error.errno not in NO_SPACE:
        return None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return DiskFullError(folder, needed, name, shutil.disk_usage(folder).free,
                         None if limit == resource.RLIM_INFINITY else limit)


def atomic_write_bytes(path, data, overwrite=True):
    """Write ``data`` to ``path`` atomically: temporary name, flush, fsync, rename.

    Parameters
    ----------
    overwrite : bool
        If False, an existing ``path`` is left alone and ``FileExistsError`` raised (the new file
        is linked into place, which fails when the name is taken).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            os.unlink(tmp)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        full = no_space(e, path.parent, len(data), path.name)
        if full:
            raise full from None
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_text(path, text, encoding="utf-8", overwrite=True):
    """``atomic_write_bytes`` of ``text`` encoded with ``encoding``."""
    return atomic_write_bytes(path, text.encode(encoding), overwrite)


def write_json(path, record, overwrite=True):
    """Write ``record`` as indented UTF-8 JSON, atomically."""
    text = json.dumps(record, ensure_ascii=False, indent=1, default=str)
    return atomic_write_text(path, text, overwrite=overwrite)


def write_csv(df, path, overwrite=True, **to_csv):
    """Write a DataFrame as CSV atomically; keywords go to ``DataFrame.to_csv``.

    The encoding defaults to UTF-8 with a byte-order mark (Excel opens Chinese labels with it).
    """
    encoding = to_csv.pop("encoding", "utf-8-sig")
    to_csv.setdefault("lineterminator", "\n")
    return atomic_write_text(path, df.to_csv(**to_csv), encoding, overwrite)


def temp_dir(root, stem):
    """A new empty folder ``root/.<stem>-XXXX.tmp`` to build a result in before ``publish``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        return Path(tempfile.mkdtemp(prefix=f".{stem}-", suffix=".tmp", dir=root))
    except OSError as e:
        full = no_space(e, root, 0, f".{stem}-*.tmp")
        if full:
            raise full from None
        raise


def publish(tmp, root, stem, free_name):
    """Rename the complete folder ``tmp`` to ``free_name(root, stem)``; returns the new path.

    A name taken meanwhile by another process is skipped (the rename of a folder onto an existing
    non-empty one fails), so nothing is ever overwritten.
    """
    fsync_dir(tmp)
    while True:
        target = free_name(Path(root), stem)
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.exists():
                raise
            continue
        fsync_dir(root)
        return target


def sha256(path):
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(HASH_CHUNK_BYTES), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(directory, **about):
    """Write ``manifest.json`` (last) with size and SHA-256 of every file in ``directory``.

    ``about`` (e.g. which ensemble and replication the folder belongs to) is stored with it.
    """
    directory = Path(directory)
    files = {p.name: {"bytes": p.stat().st_size, "sha256": sha256(p)}
             for p in sorted(directory.iterdir()) if p.is_file() and p.name != MANIFEST}
    return write_json(directory / MANIFEST, {**about, "files": files})


def manifest_problems(directory, strict=True, **about):
    """What is wrong with ``directory`` against its manifest: a list of ``(file, problem)``.

    Parameters
    ----------
    strict : bool
        Also report files that the manifest does not list (foreign files).
    about : dict
        Entries the manifest must hold with these values (e.g. the ensemble's digest).
    """
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        listed = manifest["files"]
    except FileNotFoundError:
        return [(MANIFEST, "missing: the folder was never completed")]
    except (ValueError, KeyError, TypeError):
        return [(MANIFEST, "unreadable or truncated")]
    problems = [(MANIFEST, f"{key} is {manifest.get(key)!r}, expected {value!r} (a foreign folder)")
                for key, value in about.items() if manifest.get(key) != value]
    for name, entry in listed.items():
        path = directory / name
        if not path.is_file():
            problems.append((name, "missing"))
        elif path.stat().st_size != entry["bytes"]:
            problems.append((name, f"{path.stat().st_size} bytes, the manifest says {entry['bytes']} (truncated)"))
        elif sha256(path) != entry["sha256"]:
            problems.append((name, "checksum differs from the manifest (corrupt or replaced)"))
    if strict:
        problems += [(p.name, "not in the manifest (a foreign file)") for p in sorted(directory.iterdir())
                     if p.name != MANIFEST and p.name not in listed]
    return problems


def _command():
    """This process's command line as the user typed it (``python -m sim ...``)."""
    program = "python -m sim" if sys.argv[0].endswith("__main__.py") else sys.argv[0]
    return " ".join([program, *sys.argv[1:]])


class FolderLock:
    """An exclusive lock on an output folder, held by one process; its file names the holder.

    The lock is an ``flock`` on ``path``, which the kernel releases when the holder dies (even by
    ``kill -9``), so a lock left by a dead process is simply taken over. The file holds the
    holder's pid, host, command and start time, for the message the next process shows.

    Parameters
    ----------
    path : path
        The lock file (e.g. ``results/.<ensemble>.lock``).
    what : str
        The folder it guards, for messages.
    wait : float
        Seconds to wait for another holder before refusing (0: refuse at once).
    """

    def __init__(self, path, what, wait=0.0):
        self.path, self.what, self.wait = Path(path), str(what), wait
        self.fd, self.previous = None, None

    def holder(self):
        """The record in the lock file, or {} if none can be read."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _try(self):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        try:  # the file may have been removed by its releasing holder between open and flock
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return self._try()
        self.fd = fd
        return True

    def acquire(self):
        deadline = time.monotonic() + self.wait
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while not self._try():
            if time.monotonic() >= deadline:
                raise FolderLockedError(self.what, self.path, self.holder())
            time.sleep(LOCK_POLL_SECONDS)
        self.previous = self.holder() or None  # a holder that died without releasing: taken over
        record = {"pid": os.getpid(), "host": socket.gethostname(), "command": _command(),
                  "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, json.dumps(record).encode("utf-8"), 0)
        os.fsync(self.fd)
        return self

    def release(self):
        if self.fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)  # while still locked: a waiter re-checks the inode
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
