"""Which kind of results folder a path is, and finding the one a command expects.

Commands read folders written by other commands: ``sim targets`` an ensemble, ``sim report`` a
comparison. Given a folder of another kind they say what they got and what they expect; given a
folder that holds exactly one folder of the expected kind (``sim report results/``), they use it.
"""
from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

from .errors import WrongFolderError

RECORD = "run.json"
# What each kind is called in messages, and how to make one.
KINDS = {
    "comparison": "a comparison folder (written by `sim compare`)",
    "ensemble": "a finished ensemble folder (written by `sim run ... --replications R`)",
    "run": "a single-run folder (written by `sim run` without --replications)",
    "partial": "an unfinished ensemble (run its `sim run ... --replications` command again to finish it)",
    "no-record": f"a folder of tables without {RECORD} (incomplete, or copied by hand)",
    "bad-record": f"a folder whose {RECORD} cannot be read (damaged)",
    "empty": "an empty folder",
    "file": "a file, not a folder",
    "missing": "a path that does not exist",
    "other": "a folder of something else",
}
TABLE_MARK = "income_yearly.csv"  # every run and ensemble folder has it
PARTIAL_MARKS = (".partial", "ensemble.json")


def kind(path):
    """The kind of ``path``: one of the keys of ``KINDS``."""
    path = Path(path)
    if not path.exists():
        return "missing"
    if not path.is_dir():
        return "file"
    if path.name.endswith(PARTIAL_MARKS[0]) or (path / PARTIAL_MARKS[1]).is_file():
        return "partial"
    record_file = path / RECORD
    if record_file.is_file():
        try:
            record = json.loads(record_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "bad-record"
        if not isinstance(record, dict):
            return "bad-record"
        if "ensembles" in record:
            return "comparison"
        return "ensemble" if "replications" in record else "run"
    if (path / TABLE_MARK).is_file():
        return "no-record"
    return "empty" if not any(path.iterdir()) else "other"


def _children(path):
    return [c for c in sorted(path.iterdir()) if c.is_dir() and not c.name.startswith(".")]


def describe(path):
    """What ``path`` is, in words; for a folder of folders, what it holds."""
    k = kind(path)
    if k != "other":
        return KINDS[k]
    counts = collections.Counter(kind(c) for c in _children(Path(path)))
    held = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()) if name in
                     ("comparison", "ensemble", "run", "partial"))
    return f"a folder holding {held}" if held else KINDS["other"]


def find(path, expected, note=None):
    """``path`` if it is of kind ``expected``, or the only folder of that kind inside it.

    Parameters
    ----------
    path : path
    expected : str
        ``"comparison"``, ``"ensemble"`` or ``"run"``.
    note : callable, optional
        Told which folder was chosen inside ``path`` (default: printed to stderr).

    Raises
    ------
    WrongFolderError
        Saying what ``path`` is, what was expected and, if several fit, which.
    """
    path = Path(path)
    if kind(path) == expected:
        return path
    candidates = [c for c in _children(path) if kind(c) == expected] if path.is_dir() else []
    if len(candidates) == 1:
        (note or (lambda m: print(m, file=sys.stderr)))(f"using {candidates[0]}, the only "
                                                         f"{expected} folder in {path}")
        return candidates[0]
    hint = ""
    if candidates:
        hint = f"; it holds {len(candidates)}: " + ", ".join(c.name for c in candidates) + ": name one"
    elif kind(path) == "comparison" and expected == "ensemble":
        record = json.loads((path / RECORD).read_text(encoding="utf-8"))
        hint = "; its ensembles are " + ", ".join(str(d) for d in record["ensembles"].values())
    raise WrongFolderError(path, describe(path), KINDS[expected], hint)


def check_output(out):
    """Refuse an output location that is an existing file (results go in folders below it)."""
    if Path(out).exists() and not Path(out).is_dir():
        raise WrongFolderError(out, KINDS["file"], "a folder to write results in (given as --out)")
