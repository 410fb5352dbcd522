"""The house rules of docs/ARCHITECTURE.md: small modules that say what they are, no import
cycles, and a reference that shares no code with the engine it checks."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"
MAX_LINES = 350  # docs/ARCHITECTURE.md: a module a newcomer can read whole
ENGINE = ("sim.agents", "sim.accounts", "sim.model", "sim.submodels")
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Absolute names of the ``sim`` modules that ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            found.add(stem)
            found.update(f"{stem}.{a.name}" for a in node.names)
    known = {_name(p) for p in MODULES}
    return {n for n in found if n in known}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_small_and_says_what_it_is(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES, f"{path.name}: split it (limit {MAX_LINES} lines)"
    doc = ast.get_docstring(ast.parse(text))
    assert doc and doc.strip(), f"{path.relative_to(ROOT)} has no module docstring"


def test_no_import_cycle():
    graph = {_name(p): _imports(p) - {_name(p)} for p in MODULES}
    # a package's __init__ importing its own submodules is not a cycle in the sense that matters
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    state = {}

    def visit(m, path):
        state[m] = "open"
        for d in sorted(graph.get(m, ())):
            if state.get(d) == "open":
                cycle = path[path.index(d):] + [d] if d in path else [m, d]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_reference_shares_no_code_with_the_engine():
    reference = [p for p in MODULES if _name(p).startswith("sim.reference")]
    assert reference, "sim/reference/ is missing"
    for p in reference:
        bad = {n for n in _imports(p) if n.startswith(ENGINE)}
        assert not bad, f"{p.relative_to(ROOT)} imports the engine: {sorted(bad)}"
    # and at run time: importing the reference loads none of the engine's modules
    code = ("import sys, sim.reference; "
            f"print(sorted(m for m in sys.modules if m.startswith({ENGINE!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.strip()
    assert out == "[]", f"importing sim.reference loaded {out}"
