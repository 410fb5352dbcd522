"""The HTML report: built from a small comparison, opened in headless Chromium."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from sim.compare import compare
from sim.parameters import ParameterTree
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
