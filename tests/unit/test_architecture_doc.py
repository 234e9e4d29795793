"""The architecture map names real code: every `module:qualname` it cites must import.

A rename that forgets the map fails here, so `docs/architecture.md` cannot rot
silently. Links to decision records must point at files that exist.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
CITATION = re.compile(r"`((?:proxy|modern|legacy|strangler)(?:\.\w+)*):(\w+(?:\.\w+)*)`")
LINK = re.compile(r"\]\(((?:decisions/)[^)#]+)\)")


def _citations() -> list[tuple[str, str]]:
    return sorted(set(CITATION.findall(ARCHITECTURE.read_text(encoding="utf-8"))))


def test_the_map_cites_code() -> None:
    assert len(_citations()) >= 20


@pytest.mark.parametrize(("module", "qualname"), _citations())
def test_each_cited_function_exists(module: str, qualname: str) -> None:
    target: object = importlib.import_module(module)
    for part in qualname.split("."):
        assert hasattr(target, part), f"docs/architecture.md cites {module}:{qualname}"
        target = getattr(target, part)
    assert callable(target), f"{module}:{qualname} is not a function or class"


def test_decision_links_resolve() -> None:
    links = LINK.findall(ARCHITECTURE.read_text(encoding="utf-8"))
    assert links, "the map links its decision records"
    for link in links:
        assert (ARCHITECTURE.parent / link).is_file(), link


def test_no_document_outside_the_repository_is_cited() -> None:
    outside = re.compile(r"\b(?:DESIGN|STYLE)\.md\b")
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".md", ".toml", ".yaml", ".yml", ".cfg", ".txt", ""}
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
        and outside.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []
