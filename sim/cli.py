"""Command line: ``python -m sim validate | run | targets | forecast | evaluate | compare | report | params | design | explore``."""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from tqdm import tqdm

from .calibration.abc import DRAWS as CALIBRATION_DRAWS, HOUSEHOLDS as CALIBRATION_HOUSEHOLDS
from .errors import DiskFullError, FolderLockedError, InputError, InputErrors
from .parameters import ParameterTree
from .runner import run, run_record, write_run
from .scenario import load_scenario, recorded_overrides

EXIT_BAD_INPUT = 2
EXIT_NOT_WRITTEN = 1  # the input was fine but the results could not be written (disk full, folder busy)


def _validate(args, tree):
    failed = False
    for file in args.files:
        try:
            s = load_scenario(file, tree)
            print(f"ok  {file}  ({s.name}: {len(s.overrides)} parameter overrides, "
                  f"{s.start:%Y-%m} to {s.end:%Y-%m})")
        except (InputError, InputErrors) as e:
            failed = True
            print(f"error in {file}:\n{e}", file=sys.stderr)
    return EXIT_BAD_INPUT if failed else 0


def _whole(minimum):
    """An argparse type: a whole number >= ``minimum``, else an argparse error (exit 2, usage)."""
    def whole(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}")
        return value
    return whole


_positive, _natural = _whole(1), _whole(0)


def _preflight(args, households, ensembles=1):
    """Refuse, before anything is allocated, an output that is a file or sizes this machine cannot hold."""
    from .capacity import check
    from .folders import check_output
    check_output(args.out)
    check(households, getattr(args, "replications", None), args.workers, args.out, ensembles)


@contextlib.contextmanager
def _executor(args):
    """(executor name, Dask client or None) for ``--dask``; the client is closed afterwards."""
    from .ensemble import dask_client
    if not getattr(args, "dask", None):
        yield "processes", None
        return
    client = dask_client(args.dask, args.workers)
    try:
        yield "dask", client
    finally:
        client.close()


def _ensemble(args, scenario, households):
    from .calibration.abc import attach, ensemble_draws
    from .ensemble import run_ensemble
    draws, source = ensemble_draws(args.draws, scenario, args.replications, args.seed, args.out)
    with _executor(args) as (executor, client):
        out = run_ensemble(scenario, args.replications, args.seed, out=args.out, households=households,
                           burn_in=args.burn_in, executor=executor, workers=args.workers, client=client,
                           draws=draws)
    attach(source, out)
    print(f"ensemble of {args.replications} replications ({args.draws} draws) written to {out}")
    return 0


def _run(args, tree):
    scenario = load_scenario(args.scenario, tree)
    households = args.households or scenario.households
    _preflight(args, households)
    if args.replications:
        return _ensemble(args, scenario, households)
    with tqdm(total=None, unit="month", desc=f"{scenario.name} ({households:,} households)",
              file=sys.stderr, mininterval=0.5) as bar:
        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)
        tables = run(scenario, args.seed, households, args.burn_in, progress)
    record = run_record(scenario, args.seed, households, args.burn_in)
    stem = f"{scenario.name}-seed{args.seed}-h{households}"
    out = write_run(tables, record, args.out, stem)
    print(f"tables written to {out}")
    for name in sorted(tables):
        print(f"  {out / (name + '.csv')}")
    return 0


def _targets(args, tree):
    import json
    from .runner import free_name
    from .folders import find
    from .storage import atomic_write_text
    from .targets import evaluate
    args.run_dir = find(args.run_dir, "ensemble")
    record = json.loads((args.run_dir / "run.json").read_text(encoding="utf-8")) \
        if (args.run_dir / "run.json").is_file() else {"scenario": {"overrides": {}}}
    results = evaluate(args.run_dir, tree.with_values(recorded_overrides(record)))
    print(results.summary())
    target = args.run_dir / "targets.csv"
    table = results.frame().to_csv(index=False, float_format="%.6g", lineterminator="\n")
    if target.exists() and target.read_text(encoding="utf-8-sig") != table:
        target = free_name(args.run_dir, "targets", ".csv")
    atomic_write_text(target, table, "utf-8-sig")
    print(f"\ntable written to {target}")
    from .readings import frame
    table, out = frame(results.other_readings).to_csv(index=False, float_format="%.6g", lineterminator="\n"), \
        args.run_dir / "readings.csv"
    if out.exists() and out.read_text(encoding="utf-8-sig") != table:
        out = free_name(args.run_dir, "readings", ".csv")
    out.write_text(table, encoding="utf-8-sig")
    print(f"readings written to {out}")
    return 0


def _forecast(args, tree):
    from .forecast import fit_all, load_series, output
    fits = fit_all(load_series(args.series), as_of=args.as_of)
    print(output.text(fits))
    print(f"forecasts and backtest written to {output.write(fits, args.out)}")
    return 0


def _evaluate(args, tree):
    from .evaluate import evaluate_realized, summary
    target, table, targets = evaluate_realized(args.realized, args.run_dir, args.out, tree)
    print(summary(table) + ("\n\n" + targets.to_string(index=False) if targets is not None else ""))
    print(f"\nevaluation written to {target}")
    return 0


def _stress_file(name, scenario_dir):
    path = Path(name)
    if path.suffix != ".yaml":
        path = scenario_dir / "stress" / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (scenario_dir / "stress").glob("*.yaml"))
        raise InputError(path, "--stress", f"no such stress; known: {', '.join(known)}")
    return path


def _run_compare(args, tree, files, stress=None):
    """Compare ``files`` (the baseline first, added if missing); prints the table, returns the directory."""
    from .compare import compare
    files = list(files)
    baseline = files[0].parent / "baseline.yaml"
    if files[0].resolve() != baseline.resolve():
        files.insert(0, baseline)
    stress = _stress_file(stress, files[0].parent) if stress else None
    scenarios = [load_scenario(f, tree, stress) for f in files]
    _preflight(args, args.households or scenarios[0].households, len(scenarios))
    with _executor(args) as (executor, client):
        out, table = compare(scenarios, args.replications, args.seed, out=args.out, households=args.households,
                             executor=executor, workers=args.workers, client=client)
    cols = ["scenario", "income_2022_median", "growth_2022_median", "income_2025_median", "gain_2025_median",
            "extra_cost_yuan", "cost_per_yuan_gained_median", *[f"T{k}_probability" for k in range(1, 8)]]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"\ncomparison written to {out}")
    return out


def _compare(args, tree):
    _run_compare(args, tree, args.scenarios, args.stress)
    return 0


def _report(args, tree):
    from .folders import find
    from .report import build_report
    from .storage import FolderLock
    dirs = [find(d, "comparison") for d in args.run_dirs]
    if not dirs:
        packages = sorted(p for p in args.scenario_dir.glob("*.yaml") if p.stem != "baseline")
        dirs = [_run_compare(args, tree, packages)]
    for d in dirs:
        with FolderLock(d / ".report.lock", d):
            print(f"report written to {build_report(d)}")
    return 0


def _design(args, tree):
    from .design import run_design, summary
    from .design_spec import load_spec
    result = run_design(load_spec(args.spec, tree), args.out, workers=args.workers)
    print(summary(result))
    print(f"\nfrontier, trials and chart written to {result.directory / 'design'}")
    return 0


def _explore(args, tree):
    from .explorer import run
    return run(args.spec, args.scenario_dir, args.host, args.port, args.replications, args.households,
               args.seed, args.workers, args.out)


def _port(text):
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port from 0 to 65535, got {text}")
    return value


def _sensitivity(args, tree):
    from .sensitivity_designs import run_command
    size = args.trajectories if "morris" in args.method else args.base_samples
    print(run_command(args.run_dir, tree, args.method, args.seed, size, args.max_runs, args.workers))
    return 0


def _calibrate(args, tree):
    from .calibration import run_command
    print(run_command(args.scenario, tree, args.draws, args.seed, args.households, args.out, args.workers))
    return 0


def _discover(args, tree):
    from .discovery import run_command
    print(run_command(args.run_dir, tree, args.target))
    return 0


def _params(args, tree):
    print(tree.markdown(), end="")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check scenario files; exit status 2 if any is bad")
    v.add_argument("files", nargs="+", type=Path)
    r = sub.add_parser("run", help="simulate a scenario and write a run directory")
    r.add_argument("scenario", type=Path)
    r.add_argument("--households", type=_positive, help="simulated households (default: the scenario's)")
    r.add_argument("--seed", type=_natural, default=0, help="root random seed (default 0)")
    r.add_argument("--out", type=Path, default=Path("results"), help="where run directories go (default results/)")
    r.add_argument("--burn-in", type=_natural, default=None, help="burn-in months (default: model.burn_in_months)")
    r.add_argument("--replications", type=_positive, help="run an ensemble of this many replications, "
                   "drawing the uncertain parameters (an interrupted ensemble resumes when run again)")
    r.add_argument("--workers", type=_positive, help="worker processes for an ensemble (default: all cores)")
    r.add_argument("--dask", metavar="ADDRESS", help="run the ensemble on a Dask scheduler at ADDRESS, "
                   "or 'local' for a LocalCluster")
    r.add_argument("--draws", default="prior", help="parameter draws of an ensemble: prior (default), "
                   "calibrated (the newest `sim calibrate` directory under --out) or a calibration directory")
    ca = sub.add_parser("calibrate", help="calibrate the base year to its facts (rejection ABC)")
    ca.add_argument("scenario", type=Path, nargs="?", default=Path("scenarios/baseline.yaml"))
    ca.add_argument("--draws", type=_positive, default=CALIBRATION_DRAWS,
                    help=f"prior draws (default {CALIBRATION_DRAWS})")
    ca.add_argument("--households", type=_positive, default=CALIBRATION_HOUSEHOLDS,
                    help=f"households per draw (default {CALIBRATION_HOUSEHOLDS:,})")
    ca.add_argument("--seed", type=int, default=0)
    ca.add_argument("--workers", type=_positive, default=1)
    ca.add_argument("--out", type=Path, default=Path("results"))
    sub.add_parser("params", help="print every parameter with value, unit and source (Markdown)")
    f = sub.add_parser("forecast", help="comparator forecasts with their rolling-origin backtests")
    f.add_argument("--series", type=Path, help="income series CSV (default: the shipped sim/data/income_series.csv)")
    f.add_argument("--out", type=Path, default=Path("results"), help="writes OUT/forecasts/ (default results/)")
    f.add_argument("--as-of", type=int, help="last year of the information set (default 2021, the plans' base year)")
    e = sub.add_parser("evaluate", help="score the as-of forecasts (and an ensemble) against realized figures")
    e.add_argument("realized", type=Path, help="CSV with area, group, year, value_yuan, source")
    e.add_argument("run_dir", type=Path, nargs="?", help="an ensemble or comparison directory (default: "
                   "the shipped series' forecasts as of 2021)")
    e.add_argument("--out", type=Path, help="where evaluate.csv goes (default: the directory scored, else results/)")
    c = sub.add_parser("compare", help="run packages against the baseline with common random numbers")
    c.add_argument("scenarios", nargs="+", type=Path)
    c.add_argument("--replications", type=_positive, default=20)
    c.add_argument("--households", type=_positive)
    c.add_argument("--seed", type=_natural, default=0)
    c.add_argument("--stress", help="a stress under which every package runs (name in scenarios/stress or a file)")
    c.add_argument("--workers", type=_positive)
    c.add_argument("--dask", metavar="ADDRESS")
    c.add_argument("--out", type=Path, default=Path("results"))
    rp = sub.add_parser("report", help="HTML report of comparison directories (default: compare all packages first)")
    rp.add_argument("run_dirs", nargs="*", type=Path, help="directories written by `sim compare`")
    rp.add_argument("--scenario-dir", type=Path, default=Path("scenarios"))
    rp.add_argument("--replications", type=_positive, default=40)
    rp.add_argument("--households", type=_positive)
    rp.add_argument("--seed", type=_natural, default=0)
    rp.add_argument("--workers", type=_positive)
    rp.add_argument("--out", type=Path, default=Path("results"))
    t = sub.add_parser("targets", help="probability of each target T1-T7 for an ensemble directory")
    t.add_argument("run_dir", type=Path)
    d = sub.add_parser("design", help="the cheapest package meeting target constraints (a spec in "
                       "scenarios/design/); an interrupted search resumes when run again")
    d.add_argument("spec", type=Path)
    d.add_argument("--workers", type=_positive, help="worker processes (default: this process in the search, "
                   "every core in the re-check)")
    d.add_argument("--out", type=Path, default=Path("results"))
    e = sub.add_parser("explore", help="the package explorer in the browser (prints its URL; 127.0.0.1 by default)")
    e.add_argument("--spec", type=Path, default=Path("scenarios/design/explorer.yaml"),
                   help="a design spec whose levers and ranges are the sliders")
    e.add_argument("--scenario-dir", type=Path, default=Path("scenarios"), help="the packages offered")
    e.add_argument("--host", default="127.0.0.1")
    e.add_argument("--port", type=_port, default=8765, help="0 picks a free port")
    e.add_argument("--replications", type=_positive, default=10, help="replications per package (default 10)")
    e.add_argument("--households", type=_positive, default=2000, help="households per run (default 2,000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--workers", type=_positive)
    e.add_argument("--out", type=Path, default=Path("results"), help="where Save writes (nothing otherwise)")
    se = sub.add_parser("sensitivity", help="global sensitivity of T1-T3's figures to the uncertain parameters")
    se.add_argument("run_dir", type=Path, help="a finished ensemble directory")
    se.add_argument("--method", nargs="+", default=["delta", "pawn", "rbd_fast"],
                    choices=["delta", "pawn", "rbd_fast", "morris", "sobol"], help="given-data methods on the "
                    "ensemble's own draws (default: all three), or morris or sobol: a design that runs its own "
                    "model runs beside DIR (resumable)")
    se.add_argument("--trajectories", type=_positive, help="Morris trajectories r: r(k+2) runs (default 4)")
    se.add_argument("--base-samples", type=_positive, help="Sobol' base samples N, a power of 2: N(k+3) runs (default 8)")
    se.add_argument("--max-runs", type=_positive, help="refuse a design above this many runs (default 1,000)")
    se.add_argument("--workers", type=_positive, help="worker processes of a design (default: all cores)")
    se.add_argument("--seed", type=int, default=0)
    di = sub.add_parser("discover", help="PRIM: the parameter ranges where a target is met")
    di.add_argument("run_dir", type=Path, help="a finished ensemble directory")
    di.add_argument("--target", required=True, help="T1 ... T7")
    args = parser.parse_args(argv)
    try:
        tree = ParameterTree.load()
        return {"validate": _validate, "run": _run, "params": _params, "forecast": _forecast,
                "targets": _targets, "compare": _compare, "report": _report, "evaluate": _evaluate,
                "design": _design, "explore": _explore, "sensitivity": _sensitivity, "discover": _discover,
                "calibrate": _calibrate}[args.command](args, tree)
    except (InputError, InputErrors, FileExistsError, ConnectionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DiskFullError, FolderLockedError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
