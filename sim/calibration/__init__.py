"""Calibration of the base year to its facts: moments (``moments``) and rejection ABC (``abc``)."""


def run_command(scenario_file, tree, draws, seed, households, out, workers):
    """``sim calibrate``: calibrate, write the directory, return a printable summary."""
    import time

    from ..runner import run_record
    from ..scenario import load_scenario
    from . import abc
    scenario = load_scenario(scenario_file, tree)
    start = time.perf_counter()
    result = abc.calibrate(scenario, draws=draws, seed=seed, households=households, workers=workers)
    record = {**run_record(abc.base_year(scenario), seed, households, None), "draws": draws,
              "method": "rejection ABC, every moment inside its tolerance", "parameters": list(abc.PARAMETERS),
              "seconds": round(time.perf_counter() - start, 1)}
    target = abc.write(result, abc.PARAMETERS, out, f"calibration-{scenario.name}-seed{seed}-h{households}-n{draws}",
                       record)
    moments = __import__("pandas").read_csv(target / "moments.csv", encoding="utf-8-sig")
    return (moments[["moment", "target", "bound", "tolerance", "simulated_mean", "simulated_sd", "inside", "fitted"]].to_string(index=False)
            + f"\n{int(result.accepted.sum())} of {draws} draws accepted; written to {target}")
