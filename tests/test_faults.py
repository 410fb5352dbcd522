"""Faults injected, nothing lost: kill -9, a full disk, damaged or foreign files, two writers, absurd sizes.

Each test injects one fault (docs/reliability.md lists them with what the user sees) and checks
that the results afterwards equal those of a clean run byte for byte, or that the command refuses
with a message naming what is wrong.
"""
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import capacity, ensemble, folders, storage
from sim.cli import main
from sim.ensemble import run_ensemble
from sim.errors import FolderLockedError, InputError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
H, R, SEED = 100, 3, 1  # small: each replication takes about half a second here
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
KILLS = 4  # kill -9 moments of the atomic-write test
KILL_AFTER_SAVED = (1, R - 1, R)  # the ensemble is killed once this many replications are saved
RNG_SEED = 14  # the kill moments are random but reproducible


# The command line, with the ensemble's replications run in the command's own process (instead of
# a pool of worker processes, whose start-up would dominate these small tests); files are written
# by the same code either way.
DRIVER = ("import sys, sim.ensemble as e\n"
          "e._processes = lambda tasks, workers: map(e.replicate, tasks)\n"
          "from sim.cli import main\nsys.exit(main(sys.argv[1:]))")


def _argv(out, seed=SEED):
    return ["run", str(BASELINE), "--households", str(H), "--replications", str(R), "--seed", str(seed),
            "--out", str(out)]


def _cli(out, seed=SEED):
    return [sys.executable, "-c", DRIVER, *_argv(out, seed)]


def _start(command, **kw):
    """A child in its own session, so that kill -9 reaches it and any worker processes."""
    return subprocess.Popen(command, cwd=ROOT, env=ENV, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _in_process(monkeypatch, argv):
    monkeypatch.setattr(ensemble, "_processes", lambda tasks, workers: map(ensemble.replicate, tasks))
    return main(argv)


def _contents(directory):
    """Every file's bytes, with run.json read and its creation time dropped (the only allowed difference)."""
    out = {}
    for p in sorted(directory.iterdir()):
        if p.name == storage.MANIFEST:  # holds run.json's checksum and a publishing token
            continue
        if p.name == "run.json":
            record = json.loads(p.read_text(encoding="utf-8"))
            record.pop("created")
            out[p.name] = record
        else:
            out[p.name] = p.read_bytes()
    return out


def _visible(out):
    """What a user sees in ``out``: every folder not starting with a dot must be complete and intact."""
    shown = sorted(p for p in out.iterdir() if not p.name.startswith("."))
    for p in shown:
        assert folders.kind(p) == "ensemble", p
        assert storage.manifest_problems(p, strict=False) == [], p
    return shown


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A clean ensemble written by the command line: the reference every faulty run must equal."""
    out = tmp_path_factory.mktemp("clean")
    with pytest.MonkeyPatch.context() as mp:
        assert _in_process(mp, _argv(out)) == 0
    [d] = _visible(out)
    return d


def _saved(out):
    return len(list(out.glob(".*.partial/replications/[0-9]*")))


# 1. kill -9 ---------------------------------------------------------------------------------

def test_atomic_write_leaves_the_old_or_the_new_file_whatever_the_moment_of_kill(tmp_path):
    target = tmp_path / "table.csv"
    old, new = b"a" * 3_000_000, b"b" * 5_000_000  # big enough that a write takes a while
    target.write_bytes(old)
    writer = ("import sys; from sim.storage import atomic_write_bytes as w\n"
              f"while True:\n w(sys.argv[1], b'b' * {len(new)}); w(sys.argv[1], b'a' * {len(old)})")
    rng = random.Random(RNG_SEED)
    for _ in range(KILLS):
        child = _start([sys.executable, "-c", writer, str(target)])
        time.sleep(rng.uniform(0.2, 0.6))
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        assert target.read_bytes() in (old, new)
    assert all(p.name == "table.csv" or p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_ensemble_killed_at_random_moments_resumes_to_the_clean_result(clean, tmp_path):
    rng = random.Random(RNG_SEED)
    moments = []
    for saved in KILL_AFTER_SAVED:
        child = _start(_cli(tmp_path))
        # kill once this many replications are saved, plus a random delay (the last: while gathering)
        while _saved(tmp_path) < saved and child.poll() is None:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.5))
        moments.append(_saved(tmp_path))
        if child.poll() is not None:
            break
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        assert len(_visible(tmp_path)) <= 1
    assert any(0 < m < R for m in moments)  # killed mid-ensemble at least once
    if not _visible(tmp_path) or list(tmp_path.glob(".*.partial")):  # unfinished, or not tidied up
        subprocess.run(_cli(tmp_path), cwd=ROOT, env=ENV, check=True, capture_output=True)
    [resumed] = _visible(tmp_path)
    assert _contents(resumed) == _contents(clean)
    # besides it, at most a lock and a folder being deleted, which the next command removes
    left = {p.name for p in tmp_path.iterdir()} - {resumed.name}
    assert left <= {f".{resumed.name}.lock"} | {p.name for p in tmp_path.glob(f".{resumed.name}.partial.done-*.tmp")}


def _interrupted(baseline, out, after, monkeypatch, seed=SEED):
    """An ensemble stopped (as by Ctrl-C) after ``after`` replications, before gathering; its partial folder."""
    real, calls = ensemble.replicate, []

    def stops(task):
        if len(calls) == after:
            raise KeyboardInterrupt
        calls.append(task[3].index)
        return real(task)

    def stopped(*args):
        raise KeyboardInterrupt
    with monkeypatch.context() as mp:
        mp.setattr(ensemble, "replicate", stops)
        mp.setattr(ensemble, "_finish", stopped)
        with pytest.raises(KeyboardInterrupt):
            run_ensemble(baseline, R, seed, out=out, households=H, executor="serial", progress=False)
    [partial] = out.glob(".*.partial")
    return partial


def test_damaged_or_foreign_replications_are_named_and_run_again(baseline, clean, tmp_path, monkeypatch, capsys):
    partial = _interrupted(baseline, tmp_path / "run", R, monkeypatch)
    other = _interrupted(baseline, tmp_path / "other", 1, monkeypatch, seed=SEED + 1)
    reps = partial / "replications"
    truncated = reps / "00000" / "income_yearly.csv"
    truncated.write_bytes(truncated.read_bytes()[:-100])
    corrupt = reps / "00001" / "households_yearly.csv"
    data = bytearray(corrupt.read_bytes())
    data[-10] = ord("9") if data[-10] != ord("9") else ord("8")  # same size, one digit changed
    corrupt.write_bytes(bytes(data))
    (reps / "00001" / "notes.txt").write_text("a stray file", encoding="utf-8")
    os.rename(reps / "00002", tmp_path / "set-aside")
    os.rename(other / "replications" / "00000", reps / "00002")  # another ensemble's replication 0
    real, calls = ensemble.replicate, []
    monkeypatch.setattr(ensemble, "replicate", lambda task: (calls.append(task[3].index), real(task))[1])
    resumed = run_ensemble(baseline, R, SEED, out=tmp_path / "run", households=H, executor="serial",
                           progress=False)
    said = capsys.readouterr().err
    assert sorted(calls) == [0, 1, 2]
    for name in ("00000/income_yearly.csv", "00001/households_yearly.csv", "00001/notes.txt",
                 "00002/manifest.json"):
        assert name in said
    assert "truncated" in said and "foreign" in said
    assert _contents(resumed) == _contents(clean) | {"run.json": _contents(resumed)["run.json"]}


def test_a_changed_file_in_a_finished_ensemble_is_refused_by_name(clean, tmp_path):
    import shutil
    copy = tmp_path / clean.name
    shutil.copytree(clean, copy)
    table = copy / "fiscal_yearly.csv"
    table.write_bytes(table.read_bytes()[:-50])
    assert main(["targets", str(copy)]) == 2
    with pytest.raises(InputError, match="fiscal_yearly.csv.*truncated"):
        from sim.targets import read_ensemble
        read_ensemble(copy)


def test_the_command_of_a_finished_ensemble_returns_it_and_a_damaged_one_is_not_reused(baseline, clean,
                                                                                      tmp_path, monkeypatch,
                                                                                      capsys):
    import shutil
    copy = tmp_path / clean.name
    shutil.copytree(clean, copy)
    calls = []
    real = ensemble.replicate
    monkeypatch.setattr(ensemble, "replicate", lambda task: (calls.append(task[3].index), real(task))[1])
    again = run_ensemble(baseline, R, SEED, out=tmp_path, households=H, executor="serial", progress=False)
    assert again == copy and calls == [] and "already holds this ensemble" in capsys.readouterr().err
    assert _visible(tmp_path) == [copy]
    table = copy / "income_yearly.csv"
    table.write_bytes(table.read_bytes()[:-50])  # damaged: left for the user to see, a new one is run
    fresh = run_ensemble(baseline, R, SEED, out=tmp_path, households=H, executor="serial", progress=False)
    assert fresh != copy and sorted(calls) == list(range(R))
    assert _contents(fresh) == _contents(clean) | {"run.json": _contents(fresh)["run.json"]}


@pytest.mark.parametrize("stage", ["before publishing", "after publishing"])
def test_a_kill_while_publishing_gives_one_finished_ensemble(baseline, clean, tmp_path, monkeypatch, stage):
    real_publish, real_rename = storage.publish, os.rename

    def killed_publish(*a):
        raise KeyboardInterrupt

    def killed_tidy(src, dst):
        if str(dst).endswith(".tmp") and ".done-" in str(dst):
            raise KeyboardInterrupt
        return real_rename(src, dst)
    if stage == "before publishing":
        monkeypatch.setattr(storage, "publish", killed_publish)
    else:
        monkeypatch.setattr(os, "rename", killed_tidy)
    with pytest.raises(KeyboardInterrupt):
        run_ensemble(baseline, R, SEED, out=tmp_path, households=H, executor="serial", progress=False)
    monkeypatch.setattr(storage, "publish", real_publish)
    monkeypatch.setattr(os, "rename", real_rename)
    done = run_ensemble(baseline, R, SEED, out=tmp_path, households=H, executor="serial", progress=False)
    assert _visible(tmp_path) == [done]
    assert _contents(done) == _contents(clean) | {"run.json": _contents(done)["run.json"]}
    assert json.loads((done / "run.json").read_text(encoding="utf-8"))["executor"] == "serial"


# 2. full disk -------------------------------------------------------------------------------

FILE_LIMIT_BYTES = 50_000  # bytes: above the spec and run.json (45.5 kB), below the gathered income table (56 kB)


def _file_size_limit():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT_BYTES, FILE_LIMIT_BYTES))


def test_a_full_disk_fails_clearly_keeps_nothing_half_written_and_a_rerun_finishes(clean, tmp_path,
                                                                                  monkeypatch):
    child = subprocess.run(_cli(tmp_path), cwd=ROOT, env=ENV, capture_output=True, text=True,
                           preexec_fn=_file_size_limit)
    assert child.returncode == 1, child.stderr
    said = child.stderr
    assert "no room to write" in said and str(tmp_path) in said and "needed" in said
    assert "income_yearly.csv needed" in said and "ulimit -f" in said and "the whole job needs about" in said
    assert "Traceback" not in said
    assert _visible(tmp_path) == []  # nothing looks complete
    assert _in_process(monkeypatch, _argv(tmp_path)) == 0
    [done] = _visible(tmp_path)
    assert _contents(done) == _contents(clean)


def test_a_full_disk_during_a_single_run_leaves_no_run_folder(baseline, tmp_path):
    from sim.errors import DiskFullError
    from sim.runner import run, run_record, write_run
    tables = run(baseline, 0, H)  # its income_monthly table is over the limit
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT_BYTES, hard))  # Python ignores SIGXFSZ
    try:
        with pytest.raises(DiskFullError, match=f"no room to write {tmp_path}.*income_monthly.csv needed"):
            write_run(tables, run_record(baseline, 0, H, None), tmp_path, "single")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert list(tmp_path.iterdir()) == []


# 3. two writers -----------------------------------------------------------------------------

def test_a_second_command_on_the_same_ensemble_refuses_naming_the_first(clean, tmp_path, monkeypatch,
                                                                       capsys):
    first = _start(_cli(tmp_path))
    lock = tmp_path / f".{clean.name}.lock"
    while not (lock.is_file() and storage.FolderLock(lock, "").holder()) and first.poll() is None:
        time.sleep(0.02)
    second = _in_process(monkeypatch, _argv(tmp_path))
    said = capsys.readouterr().err
    first.communicate()
    assert first.returncode == 0
    assert second == 1, said
    assert f"pid {first.pid}" in said and "is being written by another command" in said
    [done] = _visible(tmp_path)
    assert _contents(done) == _contents(clean)


def test_a_lock_names_its_holder_and_a_waiter_gets_it_when_released(tmp_path):
    path = tmp_path / ".x.lock"
    with storage.FolderLock(path, tmp_path):
        with pytest.raises(FolderLockedError, match=f"pid {os.getpid()} on .*started .*running"):
            storage.FolderLock(path, tmp_path).acquire()
    releaser = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from sim.storage import FolderLock\n"
        f"l = FolderLock({str(path)!r}, 'x').acquire(); print('held', flush=True); time.sleep(1); l.release()")],
        env=ENV, stdout=subprocess.PIPE, text=True)
    assert releaser.stdout.readline().strip() == "held"
    start = time.monotonic()
    with storage.FolderLock(path, tmp_path, wait=30):
        assert time.monotonic() - start > 0.3  # it did wait for the other holder
    releaser.wait()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    path = tmp_path / ".x.lock"
    child = subprocess.Popen([sys.executable, "-c", (
        "import time; from sim.storage import FolderLock\n"
        f"FolderLock({str(path)!r}, 'x').acquire(); print('held', flush=True); time.sleep(60)")],
        env=ENV, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    with pytest.raises(FolderLockedError, match=f"pid {child.pid}"):
        storage.FolderLock(path, tmp_path).acquire()
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert json.loads(path.read_text(encoding="utf-8"))["pid"] == child.pid  # left behind
    with storage.FolderLock(path, tmp_path) as lock:
        assert lock.previous["pid"] == child.pid
        assert json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert not path.exists()


# 4. sizes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("option,value", [("--households", "0"), ("--households", "-5"), ("--households", "abc"),
                                          ("--households", "1.5"), ("--replications", "0"),
                                          ("--workers", "-1"), ("--seed", "-1"), ("--burn-in", "x")])
def test_bad_numbers_get_argparse_errors(option, value, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", str(BASELINE), option, value])
    said = capsys.readouterr().err
    assert stop.value.code == 2
    assert "usage:" in said and option in said and "must be a whole number" in said and repr(value) in said


def test_sizes_beyond_this_machine_are_refused_before_anything_is_allocated(tmp_path, capsys):
    start = time.perf_counter()
    assert main(["run", str(BASELINE), "--households", "1000000000", "--out", str(tmp_path)]) == 2
    said = capsys.readouterr().err
    assert "--households" in said and "GB of memory" in said and "available" in said
    assert main(["run", str(BASELINE), "--households", "1000", "--replications", "100000000",
                 "--out", str(tmp_path)]) == 2
    said = capsys.readouterr().err
    assert "--replications" in said and "GB" in said
    assert time.perf_counter() - start < 10 and list(tmp_path.iterdir()) == []


def test_disk_estimate_is_checked_against_the_free_space(tmp_path, monkeypatch):
    monkeypatch.setattr(capacity, "available_disk", lambda folder: 1_000_000)  # bytes
    capacity.check(1000, 10, 1, tmp_path)  # 10 replications need about 0.8 MB
    with pytest.raises(InputError, match=r"--replications.*GB of disk.*has 0.00 GB free"):
        capacity.check(1000, 100, 1, tmp_path)


def test_the_memory_estimate_covers_a_measured_run_without_wasting_the_machine():
    households = 20_000
    # the peak resident memory of this process image (VmHWM, kB); ru_maxrss would include the
    # forked copy of pytest's memory from before exec
    probe = ("import re; from sim.scenario import load_scenario; from sim.runner import run\n"
             f"run(load_scenario({str(BASELINE)!r}), 0, {households})\n"
             "status = open('/proc/self/status').read()\n"
             "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024)")
    peak = int(subprocess.run([sys.executable, "-c", probe], env=ENV, check=True, capture_output=True,
                              text=True).stdout)
    estimate = capacity.memory_bytes(households)
    assert peak < estimate < 3 * peak


# 5. folders of the wrong kind ---------------------------------------------------------------

def _comparison(folder, ensembles):
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"ensembles": ensembles}), encoding="utf-8")
    return folder


def test_report_finds_the_only_comparison_in_the_folder_given_to_compare_out(tmp_path, monkeypatch, capsys):
    import sim.report
    inside = _comparison(tmp_path / "compare-baseline-employment-seed0-r4", {"baseline": "x"})
    (tmp_path / "baseline-seed0-h200-r4").mkdir()
    seen = []
    monkeypatch.setattr(sim.report, "build_report", lambda d: seen.append(d) or d / "report.html")
    assert main(["report", str(tmp_path)]) == 0
    assert seen == [inside] and f"using {inside}" in capsys.readouterr().err


def test_targets_finds_the_only_ensemble_inside_a_folder(clean, tmp_path, monkeypatch, capsys):
    import shutil

    import sim.targets

    class Found(Exception):
        pass

    def found(run_dir, parameters):
        raise Found(run_dir)
    copy = tmp_path / clean.name
    shutil.copytree(clean, copy)
    monkeypatch.setattr(sim.targets, "evaluate", found)  # what targets does with it is tested elsewhere
    with pytest.raises(Found) as chosen:
        main(["targets", str(tmp_path)])
    assert chosen.value.args == (copy,) and f"using {copy}" in capsys.readouterr().err


def _folder(path, **files):
    path.mkdir()
    for name, text in files.items():
        (path / name.replace("_csv", ".csv").replace("_json", ".json")).write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("make,command,got,expected", [
    (lambda p: _comparison(p / "c", {"baseline": "b", "employment": "e"}), "targets",
     "a comparison folder", "a finished ensemble folder.*its ensembles are b, e"),
    (lambda p: [_comparison(p / n, {}) for n in ("c1", "c2")] and p, "report",
     "a folder holding 2 comparison", "a comparison folder.*it holds 2: c1, c2: name one"),
    (lambda p: _folder(p / "e"), "report", "an empty folder", "a comparison folder"),
    (lambda p: _folder(p / "r", income_yearly_csv="x"), "targets", "a folder of tables without run.json",
     "a finished ensemble folder"),
    (lambda p: _folder(p / ".x.partial"), "targets", "an unfinished ensemble", "a finished ensemble"),
    (lambda p: _folder(p / "r", run_json='{"seed": 0}'), "report", "a single-run folder", "a comparison folder"),
    (lambda p: _folder(p / "r", run_json='{"se'), "targets", "run.json cannot be read", "a finished ensemble"),
    (lambda p: p / "nowhere", "report", "a path that does not exist", "a comparison folder"),
])
def test_a_folder_of_the_wrong_kind_says_what_it_got_and_what_it_expects(tmp_path, capsys, make, command,
                                                                         got, expected):
    folder = make(tmp_path)
    assert main([command, str(folder)]) == 2
    said = capsys.readouterr().err
    assert str(folder) in said and got in said
    import re
    assert re.search(expected, said), said
    assert "Traceback" not in said


def test_out_given_as_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "f.csv").write_text("x")
    assert main(["run", str(BASELINE), "--households", "10", "--out", str(tmp_path / "f.csv")]) == 2
    assert "a file" in capsys.readouterr().err


def test_report_refuses_a_comparison_another_report_is_writing(tmp_path, monkeypatch, capsys):
    import sim.report
    folder = _comparison(tmp_path / "compare-x", {"baseline": "b"})
    monkeypatch.setattr(sim.report, "build_report", lambda d: pytest.fail("built while locked"))
    with storage.FolderLock(folder / ".report.lock", folder):
        assert main(["report", str(folder)]) == 1
    assert f"pid {os.getpid()}" in capsys.readouterr().err
