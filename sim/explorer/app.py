"""The explorer's model side: packages, lever ranges, checking requests, computing and saving.

Requests come from a browser and are untrusted: :meth:`Explorer.check` refuses anything but a
known package and known levers with finite numbers inside the spec's ranges (whole numbers where
the parameter is whole), before any computation. Results are small-scale ensembles computed in
memory against the baseline with common random numbers (``sim.design_eval.Evaluator``); nothing
is written unless :meth:`Explorer.save` is called.
"""
from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import yaml

from .. import storage
from ..design_eval import JOINT, Evaluator, with_levers
from ..design_spec import TARGET_KEYS, load_spec
from ..parameters import ParameterTree
from ..runner import free_name
from ..scenario import load_scenario
from . import svg

SLIDER_STEPS = 100   # a float lever's slider moves in 1/100 of its range
CACHE_SIZE = 64      # results kept for packages already computed (a few kB each)
MAX_LEVERS_IN_REQUEST = 32
ADJUSTED = "（调整）"  # label suffix of a package with moved levers


class RequestError(ValueError):
    """A request the explorer refuses: ``key`` names the offending field."""

    def __init__(self, key, message):
        self.key, self.message = key, message
        super().__init__(f"{key}: {message}")


def _number(v):
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


class Explorer:
    """Packages and levers of a design spec, evaluated at a small scale.

    Parameters
    ----------
    spec_file : path
        A design spec (``scenarios/design/*.yaml``): its levers and ranges are the sliders, its
        constraints are drawn on the target chart.
    scenario_dir : path
        The packages offered (``*.yaml`` there; ``baseline.yaml`` is the reference).
    replications, households, seed : int
        Scale of each computation (small: seconds per package).
    """

    def __init__(self, spec_file, scenario_dir, replications, households, seed=0, workers=None, out="results"):
        tree = ParameterTree.load()
        self.spec = load_spec(spec_file, tree)
        self.levers = {lv.path: lv for lv in self.spec.levers}
        self.tree, self.out = tree, Path(out)
        self.packages = {p.stem: load_scenario(p, tree) for p in sorted(Path(scenario_dir).glob("*.yaml"))}
        self.baseline = self.packages["baseline"]
        self.scale = {"replications": replications, "households": households, "seed": seed}
        self.workers = workers
        self.evaluator = None
        self.progress = {"done": 0, "total": 0}
        self.cache = OrderedDict()
        self.lock = threading.Lock()

    def page(self):
        """The page's HTML, with the Chinese font it needs embedded (a subset; computed once)."""
        if getattr(self, "_page", None) is None:
            from importlib import resources
            from ..report import embedded_font  # the report's subset of the charts' CJK font
            html = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
            text = html + json.dumps(self.config(), ensure_ascii=False) + json.dumps(svg.TEXT, ensure_ascii=False)
            self._page = html.replace("/*FONT*/", embedded_font(text + ADJUSTED), 1).encode("utf-8")
        return self._page

    def package_values(self, name):
        s = self.packages[name]
        return {p: s.parameters[p].at(lv.start) for p, lv in self.levers.items()}

    def config(self):
        """What the page needs: packages with their lever values, the sliders, scale and targets."""
        sliders = []
        for p, lv in self.levers.items():
            md = self.tree[p].metadata
            step = 1 if lv.integer else (lv.high - lv.low) / SLIDER_STEPS
            sliders.append({"path": p, "label_zh": md["label"]["zh"], "label_en": md["label"]["en"],
                            "unit": lv.unit, "low": lv.low, "high": lv.high, "step": step, "integer": lv.integer,
                            "from": lv.start.isoformat()})
        packages = [{"name": n, "label_zh": s.label.get("zh", n), "label_en": s.label.get("en", n),
                     "values": self.package_values(n)} for n, s in self.packages.items()]
        return {"levers": sliders, "packages": packages, "scale": self.scale,
                "constraints": self.spec.constraints, "targets": list(TARGET_KEYS)}

    def check(self, payload):
        """``(package name, {path: value})`` from a request body, or RequestError."""
        if not isinstance(payload, dict) or set(payload) - {"package", "levers"}:
            raise RequestError("(body)", "a JSON object with 'package' and 'levers'")
        name = payload.get("package")
        if not isinstance(name, str) or name not in self.packages:
            raise RequestError("package", f"unknown package; known: {', '.join(self.packages)}")
        levers = payload.get("levers", {})
        if not isinstance(levers, dict) or len(levers) > MAX_LEVERS_IN_REQUEST:
            raise RequestError("levers", "an object mapping lever paths to numbers")
        values = self.package_values(name)
        for path, v in levers.items():
            lv = self.levers.get(path)
            if lv is None:
                raise RequestError(f"levers.{path}", "not a lever of this explorer")
            if not _number(v):
                raise RequestError(f"levers.{path}", f"must be a finite number in {lv.unit}")
            if not lv.low <= v <= lv.high:
                raise RequestError(f"levers.{path}", f"{v} is outside [{lv.low}, {lv.high}] {lv.unit}")
            if lv.integer and v != int(v):
                raise RequestError(f"levers.{path}", f"must be a whole number ({lv.unit})")
            values[path] = int(v) if lv.integer else float(v)
        return name, values

    def scenario(self, name, values):
        """The package with the levers that differ from its own values overridden."""
        own = self.package_values(name)
        changed = {p: self.levers[p].override(v) for p, v in values.items() if not np.isclose(v, own[p])}
        if not changed:
            return self.packages[name]
        return with_levers(self.packages[name], changed, name=f"{name}_explored",
                           label={"zh": f"{self.packages[name].label.get('zh', name)}{ADJUSTED}",
                                  "en": f"{self.packages[name].label.get('en', name)} (adjusted)"})

    def _progress(self, done, total):
        self.progress = {"done": done, "total": total}

    def evaluate(self, name, values):
        """Probabilities with errors, extra cost and charts for a checked request (one at a time)."""
        key = json.dumps([name, sorted(values.items())])
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
            if self.evaluator is None:
                s = self.scale
                self.evaluator = Evaluator(self.baseline, s["replications"], s["households"], s["seed"],
                                           workers=self.workers)
            ev = self.evaluator.evaluate(self.scenario(name, values), self._progress)
            result = self._result(name, values, ev)
            self.cache[key] = result
            while len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
            return result

    def _result(self, name, values, ev):
        base = self.evaluator.base
        base_p = {t.key: t.probability for t in base.targets.targets}
        n = ev.replications
        targets = [{"target": k, "probability": ev.probabilities[k], "error": ev.error(k),
                    "baseline": base_p.get(k, float("nan")) if k != JOINT else float("nan")}
                   for k in (*TARGET_KEYS, JOINT)]
        charts = {lang: {"fan": svg.fan(base.income, ev.income, self.packages[name].label, lang),
                         "targets": svg.targets(targets, self.spec.constraints, n, lang)} for lang in ("zh", "en")}
        return {"package": name, "levers": values, "extra_cost_yuan": ev.extra_cost,
                "extra_cost_p10": ev.extra_cost_p10, "extra_cost_p90": ev.extra_cost_p90,
                "targets": [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                             for k, v in t.items()} for t in targets],
                "scale": self.scale, "charts": charts}

    def save(self, name, values):
        """Write the explored package (a scenario file extending it) and its figures under ``out``."""
        result = self.evaluate(name, values)
        self.out.mkdir(parents=True, exist_ok=True)
        folder = free_name(self.out, f"explorer-{name}")
        folder.mkdir()
        package_file = Path(self.packages[name].chain[0])
        doc = {"name": f"{name}_explored", "extends": str(package_file),
               "label": {"zh": f"{self.packages[name].label.get('zh', name)}{ADJUSTED}",
                         "en": f"{self.packages[name].label.get('en', name)} (adjusted)"},
               "parameters": {p: self.levers[p].override(v) for p, v in values.items()}}
        storage.atomic_write_text(folder / "package.yaml", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        figures = {k: v for k, v in result.items() if k != "charts"}
        storage.atomic_write_text(folder / "result.json",
                                  json.dumps(figures, ensure_ascii=False, indent=1, default=float))
        for lang, charts in result["charts"].items():
            for chart, text in charts.items():
                storage.atomic_write_text(folder / f"{chart}_{lang}.svg", text, encoding="utf-8")
        return folder

    def close(self):
        if self.evaluator is not None:
            self.evaluator.close()
