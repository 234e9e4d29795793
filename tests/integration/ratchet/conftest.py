"""A fresh scratch repository per test, with a baseline recorded from its clean state."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.ratchet.scratch import ScratchRepo


@pytest.fixture
def scratch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> ScratchRepo:
    """A clean repository with no baseline yet."""
    return ScratchRepo(root=tmp_path, capsys=capsys).build()


@pytest.fixture
def repo(scratch: ScratchRepo) -> ScratchRepo:
    """A clean repository whose baseline is recorded and whose check passes."""
    scratch.update().expect(0)
    return scratch
