"""The research notebooks (``notebooks/*.ipynb``): they run top to bottom, stay thin, and state
their question and answer in Chinese and English.

Running: each notebook is executed with nbclient in a fresh ``python3`` kernel (this
environment's interpreter), started in ``notebooks/`` as ``jupyter lab`` starts it; the notebooks
find the repository root by walking up from their working directory. The parameter cell keeps its
small defaults; only ``OUT`` is overridden, by a cell inserted after the ``parameters`` cell (as
papermill does), so results go to pytest's temporary directory. Any error in any cell fails the
test, which is named after the notebook.

Thinness: logic belongs in ``sim``. A notebook may define a function or class of at most
``MAX_DEFINITION_LINES`` lines in all (its ``def``/``class`` line included), and may not shell
out (``!cmd``, ``%%bash``): notebooks call the Python API. Committed notebooks carry no outputs
and no execution counts.
"""
from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = ["01-population-and-base-year", "02-baseline-forecast", "03-packages-compared", "04-targets",
            "05-build-your-own-package"]
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PARAMETERS = {"HOUSEHOLDS", "REPLICATIONS", "SEED", "OUT"}
MAX_DEFINITION_LINES = 3
CELL_TIMEOUT = 600  # seconds, per cell
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{2,}\b")
SHELL = re.compile(r"get_ipython\(\)\.(system|getoutput)\(|run_cell_magic\('(bash|sh|script|system)'")

by_name = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])


def _read(path):
    return nbformat.read(path, as_version=4)


def _code(cell):
    """A code cell as plain Python (IPython magics and ``!`` lines turned into calls)."""
    return TransformerManager().transform_cell(cell.source)


def _assigned(code):
    """Names assigned at any level of ``code``."""
    return {t.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


def _bilingual(text):
    return len(CJK.findall(text)) >= 5 and len(ENGLISH_WORD.findall(text)) >= 5


def test_the_five_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@by_name
def test_valid_and_stripped(path):
    nb = _read(path)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i}: outputs committed (strip them)"
            assert cell.execution_count is None, f"{path.name} cell {i}: execution count committed"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@by_name
def test_parameter_cell_comes_first(path):
    code = [c for c in _read(path).cells if c.cell_type == "code"]
    first = code[0]
    assert "parameters" in first.metadata.get("tags", []), f"{path.name}: first code cell not tagged 'parameters'"
    missing = PARAMETERS - _assigned(first.source)
    assert not missing, f"{path.name}: the parameter cell does not set {sorted(missing)}"
    for cell in code[1:]:
        again = PARAMETERS & _assigned(_code(cell))
        assert not again, f"{path.name}: {sorted(again)} set again after the parameter cell"


@by_name
def test_thin(path):
    for i, cell in enumerate(_read(path).cells):
        if cell.cell_type != "code":
            continue
        code = _code(cell)
        assert not SHELL.search(code), f"{path.name} cell {i}: shells out; call the Python API instead"
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                lines = node.end_lineno - node.lineno + 1
                assert lines <= MAX_DEFINITION_LINES, (
                    f"{path.name} cell {i}: {node.name} is {lines} lines long; logic belongs in sim "
                    f"(at most {MAX_DEFINITION_LINES} lines)")


@by_name
def test_question_and_answer_in_chinese_and_english(path):
    cells = _read(path).cells
    assert _bilingual(cells[0].source), f"{path.name}: the first cell must state the question in Chinese and English"
    assert _bilingual(cells[-1].source), f"{path.name}: the last cell must state the answer in Chinese and English"


@by_name
def test_runs_top_to_bottom(path, tmp_path, monkeypatch):
    # One BLAS thread per kernel: statsmodels' many tiny fits in sim.forecast run several times
    # slower with a thread pool on a busy machine (a setting of the test run, not of the notebooks).
    if "OPENBLAS_NUM_THREADS" not in os.environ:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    nb = _read(path)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(f"OUT = {str(tmp_path / 'results')!r}",
                                                      metadata={"tags": ["injected-parameters"]}))
    NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                   resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    answer = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    assert _bilingual(answer), f"{path.name}: the last cell must print the answer in Chinese and English"
    assert list((tmp_path / "results").iterdir()), f"{path.name}: wrote nothing under OUT"
