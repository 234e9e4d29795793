"""The public surface of `strangler.ratchet` is pinned: changing it is a decision.

The names are imported on first use, so the CLI's parser (built by every `strangler`
command) can share `strangler.ratchet.formats` without loading the ratchet itself.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import strangler.ratchet


def test_public_names() -> None:
    assert sorted(strangler.ratchet.__all__) == [
        "Baseline", "Endpoint", "Outcome", "Problem", "RatchetConfigError", "RatchetSettings",
        "Snapshot", "Summary", "UpdateResult", "check_repository", "compare",
        "endpoints_from_app", "endpoints_from_openapi", "headline", "load_settings",
        "migration_history", "parse_baseline", "render", "render_history", "take_snapshot",
        "update_repository",
    ]  # fmt: skip
    for name in strangler.ratchet.__all__:
        assert getattr(strangler.ratchet, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = strangler.ratchet.nothing


def test_building_the_cli_parser_loads_none_of_the_ratchet() -> None:
    # A fresh interpreter: this one has long imported the ratchet for other tests.
    probe = (
        "import sys; from strangler.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith(('importlinter', 'grimp')) "
        "or (m.startswith('strangler.ratchet.') and m != 'strangler.ratchet.formats')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
