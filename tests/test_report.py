"""The HTML report: built from a small comparison, answering first, opened in headless Chromium."""
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from sim.compare import compare
from sim.parameters import ParameterTree
from sim import report as report_module
from sim.answer import answers, design_sentence, opening_html
from sim.charts import Ensemble, Label
from sim.report import build_report
from sim.scenario import load_scenario

from conftest import ROOT

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=10000"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    scenarios = [load_scenario(ROOT / "scenarios" / f"{n}.yaml") for n in ("baseline", "employment")]
    compare_dir, _ = compare(scenarios, 2, 1, out=out, households=300, executor="serial", progress=False)
    return build_report(compare_dir)


def _chromium():
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it")
        pytest.skip("chromium is not installed here (.ci/run installs it for CI)")
    return path


def test_report_is_self_contained_with_table_appendix_and_font(report):
    text = report.read_text(encoding="utf-8")
    assert 'id="key-table"' in text and "Employment package" in text and "就业帮扶包" in text
    assert not re.search(r'src="(?!data:)', text)  # nothing loaded from outside the file
    assert '@font-face{font-family:"ReportCJK"' in text
    for path in ParameterTree.load():
        assert path in text  # the appendix lists every parameter
    assert (report.parent / "charts" / "fan_zh.png").is_file() and (report.parent / "charts" / "fan_en.csv").is_file()


def test_report_opens_in_chromium_with_every_image_loaded(report):
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                              report.as_uri()], capture_output=True, text=True, timeout=120).stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-images="loaded"' in body and 'data-image-count="10"' in body
    assert 'id="key-table"' in dom and dom.count("<tr>") > 3


# --------------------------------------------------------------------------- answers first

def _visible_text(page):
    """Every text node of the page outside <script> and <style>, tags replaced by spaces."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _answer_text(page):
    return _visible_text(re.search(r'<section id="answer">.*?</section>', page, flags=re.S).group(0))


def _pct(p, se=None):
    text = f"{100 * p:.0f}%"
    return text if se is None else f"{text} ± {100 * se:.0f}%"


def test_no_none_nan_or_inf_anywhere_in_the_visible_text(report):
    text = _visible_text(report.read_text(encoding="utf-8"))
    assert not re.findall(r"\b(None|nan|NaN|inf|Infinity)\b", text)
    assert "households None" not in text and "300 simulated households" in text and "模拟300户" in text


def test_the_opening_numbers_are_the_results(report):
    """Per target, the baseline's and the best package's probability ± MC error, as in the CSVs."""
    page = report.read_text(encoding="utf-8")
    opening = _answer_text(page)
    record = json.loads((report.parent / "run.json").read_text(encoding="utf-8"))
    tables = {name: pd.read_csv(Path(d) / "targets.csv", encoding="utf-8-sig")
              for name, d in record["ensembles"].items()}
    comparison = pd.read_csv(report.parent / "comparison.csv", encoding="utf-8-sig").set_index("scenario")
    base, *others = tables
    # T1-T7, and T2 and T3 again under the plan's comparator reading
    assert [t for t in tables[base]["target"] if "_" not in t] == [f"T{k}" for k in range(1, 8)]
    for row in tables[base].itertuples():
        assert f"{row.target} ({row.label_en}): baseline {_pct(row.probability, row.mc_error)};" in opening
        assert f"{row.target}（{row.label_zh}）：基线{_pct(row.probability, row.mc_error)}；" in opening
        best = min(others, key=lambda n: (-tables[n].set_index("target").loc[row.target, "probability"],
                                          comparison.loc[n, "extra_cost_yuan"]))
        b = tables[best].set_index("target").loc[row.target]
        if b["probability"] == 0:
            assert f"{row.target} ({row.label_en}): baseline {_pct(row.probability, row.mc_error)}; no package" in opening
        else:
            label = comparison.loc[best, "label_en"]
            assert f"best package {label}, {_pct(b['probability'], b['mc_error'])}." in opening
        # the key table shows the same probabilities, from comparison.csv
        if f"{row.target}_probability" in comparison.columns:
            assert f"<td>{comparison.loc[best, f'{row.target}_probability']:.1%}</td>" in page
        # each target says its information set and comparator reading, as targets.csv records them
        assert (f"{row.target} ({row.label_en}): baseline" in opening
                and f"Information set (forecast as of): {row.as_of}; comparator reading: "
                    f"{row.comparator_reading}." in opening)
    assert "not recorded" not in opening and "未记录" not in opening
    assert "sim design" not in opening          # no design/summary.json in this comparison


def test_design_summary_gives_the_cheapest_package_or_the_best_reached(tmp_path):
    design = tmp_path / "design"
    design.mkdir()
    record = {"constraints": {"T1": 0.8}, "winner": {
        "levers": {"labour.public_posts": 1200}, "extra_cost_yuan": 2e6,
        "probabilities": {"T1": [0.85, 0.05], "T1&T2": [0.5, 0.07]}}}
    (design / "summary.json").write_text(json.dumps(record), encoding="utf-8")
    assert design_sentence(tmp_path, "en") == (
        "Cheapest package meeting P(T1) ≥ 80% found by sim design: labour.public_posts = 1,200; extra "
        "cost 2.0 million yuan; re-checked with fresh seeds: P(T1) 85% ± 5%, P(T1&T2) 50% ± 7%.")
    record["winner"] = None
    record["best_reached_in_search"] = {"T1": {"probability": 0.45, "extra_cost_yuan": 7.7e8}}
    (design / "summary.json").write_text(json.dumps(record), encoding="utf-8")
    assert design_sentence(tmp_path, "en").endswith("(extra cost, million yuan): P(T1) 45% (770.0).")
    assert design_sentence(tmp_path / "nowhere", "en") is None


def test_optional_sections_are_included_in_order_when_they_return_html(tmp_path, monkeypatch):
    (tmp_path / "toy_sections.py").write_text(
        'def present(d):\n    return f"<section><h2>Toy / 玩具</h2>{d.name}</section>"\n\n'
        'def absent(d):\n    return None\n', encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(report_module, "SECTIONS", ["toy_sections.absent", "toy_sections.present"])
    assert report_module.optional_sections(tmp_path / "cmp") == "<section><h2>Toy / 玩具</h2>cmp</section>"


@pytest.mark.parametrize("width", [1400, 390])
def test_key_table_and_charts_are_readable_at_desktop_and_phone_width(report, width):
    """Nothing is cut: the key table scrolls inside its box to T7; charts keep readable text."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = _chromium()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(report.parent / f"screenshot-{width}.png"), full_page=True)
        box = page.locator("#key-table-scroll")
        state = box.evaluate("""d => { d.scrollLeft = d.scrollWidth;
            const t7 = [...d.querySelectorAll('thead th')].find(th => th.textContent.trim() === 'T7');
            const r = t7.getBoundingClientRect(), b = d.getBoundingClientRect();
            return {overflow: getComputedStyle(d).overflowX, scroll: d.scrollWidth,
                    table: d.querySelector('table').offsetWidth, client: d.clientWidth,
                    page: document.documentElement.scrollWidth, t7: [r.left, r.right], box: [b.left, b.right],
                    t7visible: r.width > 0 && getComputedStyle(t7).visibility === 'visible'}; }""")
        t7 = page.locator("#key-table thead th", has_text="T7")
        t7.scroll_into_view_if_needed()
        t7_in_view = t7.evaluate("e => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; }")
        widths = page.locator("figure img").evaluate_all("imgs => imgs.map(i => i.getBoundingClientRect().width)")
        browser.close()
    assert state["page"] <= width                  # the page itself never scrolls sideways
    assert state["scroll"] >= state["table"]       # the whole table is reachable inside its box
    if state["table"] > state["client"]:
        assert state["overflow"] == "auto"
    assert state["t7visible"] and t7_in_view
    assert widths and min(widths) >= min(report_module.CHART_MIN_PX, width)


def test_information_set_and_reading_are_those_of_the_row_used():
    """When targets.csv records the forecast's as-of year and the comparator reading, the
    opening names those of the row its probability comes from (the first per target)."""
    table = pd.DataFrame({"target": ["T2", "T2"], "label_zh": ["增速"] * 2, "label_en": ["growth"] * 2,
                          "probability": [0.1, 0.3], "mc_error": [0.05, 0.06], "as_of": [2021.0, 2021.0],
                          "reading": ["forecast", "plan expectation"]})
    base = Ensemble(Label("基线", "Baseline"), None, None, None, table, {"scenario": {"name": "baseline"}})
    pkg = Ensemble(Label("包", "Package"), None, None, None, table.assign(probability=[0.4, 0.2]),
                   {"scenario": {"name": "pkg"}})
    comparison = pd.DataFrame({"scenario": ["baseline", "pkg"], "extra_cost_yuan": [0.0, 1e6]})
    [a] = answers([base, pkg], comparison)
    assert (a.as_of, a.reading) == ("2021", "forecast")
    assert a.baseline == (0.1, 0.05) and a.best == (pkg.label, 0.4, 0.05)
    assert "forecast as of): 2021; comparator reading: forecast." in _visible_text(
        opening_html([base, pkg], comparison, Path("/nonexistent"), 2))
