"""Check that pyproject.toml and environment.yml pin the same requirements.

The runtime dependencies plus the ``test`` extra of pyproject.toml must equal
the ``pip:`` list of environment.yml (apart from the ``-e .`` line), compared
as sets of normalised ``name[extras]==version`` strings.  Every requirement
must be pinned exactly with ``==``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
ENVIRONMENT = ROOT / "environment.yml"

# name[extra1,extra2]==version, nothing else (no markers, no ranges, no URLs).
_PIN = re.compile(
    r"""^\s*
    (?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)
    \s*(?:\[\s*(?P<extras>[^\]]*)\])?
    \s*==\s*(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*)
    \s*$""",
    re.VERBOSE,
)


def normalise_name(name: str) -> str:
    """PEP 503 normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def normalise_pin(requirement: str) -> str:
    """Return ``name[extras]==version`` in canonical form; fail if not an exact pin."""
    match = _PIN.match(requirement)
    if match is None:
        raise AssertionError(f"not an exact '==' pin: {requirement!r}")
    name = normalise_name(match["name"])
    extras = ""
    if match["extras"] is not None:
        parts = sorted({normalise_name(e.strip()) for e in match["extras"].split(",") if e.strip()})
        if parts:
            extras = "[" + ",".join(parts) + "]"
    return f"{name}{extras}=={match['version']}"


def _check_unique(pins: list[str], source: str) -> None:
    seen: dict[str, str] = {}
    for pin in pins:
        key = pin.split("==", 1)[0].split("[", 1)[0]
        assert key not in seen, f"{source}: {key} listed twice ({seen[key]!r} and {pin!r})"
        seen[key] = pin


def pyproject_requirements() -> list[str]:
    with PYPROJECT.open("rb") as fh:
        project = tomllib.load(fh)["project"]
    runtime = list(project.get("dependencies", []))
    test = list(project.get("optional-dependencies", {}).get("test", []))
    assert runtime, "pyproject.toml has no [project] dependencies"
    assert test, "pyproject.toml has no 'test' optional dependency group"
    return runtime + test


def environment_pip_requirements() -> list[str]:
    with ENVIRONMENT.open(encoding="utf-8") as fh:
        env = yaml.safe_load(fh)
    pip_sections = [d["pip"] for d in env.get("dependencies", []) if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml must have exactly one 'pip:' section"
    entries = [str(e).strip() for e in pip_sections[0]]
    editable = [e for e in entries if e.startswith("-e")]
    assert editable and all(re.fullmatch(r"-e\s+\.", e) for e in editable), (
        "environment.yml pip section must install the project with '-e .'"
    )
    return [e for e in entries if not e.startswith("-e")]


def test_normalise_pin_helper():
    assert normalise_pin("PyYAML==6.0.3") == "pyyaml==6.0.3"
    assert normalise_pin("Dask[Distributed] == 2026.8.0") == "dask[distributed]==2026.8.0"
    assert normalise_pin("zope.interface==7.0") == "zope-interface==7.0"
    for bad in ("numpy>=2", "numpy", "numpy~=2.4", "numpy==2.4; python_version<'3.12'"):
        with pytest.raises(AssertionError):
            normalise_pin(bad)


def test_pyproject_dependencies_are_exactly_pinned():
    for requirement in pyproject_requirements():
        normalise_pin(requirement)  # raises on anything but name[extras]==version


def test_environment_pip_requirements_are_exactly_pinned():
    for requirement in environment_pip_requirements():
        normalise_pin(requirement)


def test_pyproject_and_environment_pins_match():
    pyproject = [normalise_pin(r) for r in pyproject_requirements()]
    environment = [normalise_pin(r) for r in environment_pip_requirements()]
    _check_unique(pyproject, "pyproject.toml")
    _check_unique(environment, "environment.yml")
    only_pyproject = sorted(set(pyproject) - set(environment))
    only_environment = sorted(set(environment) - set(pyproject))
    assert not only_pyproject and not only_environment, (
        "pinned requirements differ:\n"
        f"  only in pyproject.toml:  {only_pyproject}\n"
        f"  only in environment.yml: {only_environment}"
    )


def test_environment_python_matches_requires_python():
    with ENVIRONMENT.open(encoding="utf-8") as fh:
        env = yaml.safe_load(fh)
    assert env.get("name") == "ningxia-migrant-income"
    conda_deps = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda_deps
    assert "pip" in conda_deps
    with PYPROJECT.open("rb") as fh:
        assert tomllib.load(fh)["project"]["requires-python"] == ">=3.11,<3.12"
