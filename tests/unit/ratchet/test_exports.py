"""The public surface of `proxy.ratchet` is pinned: changing it is a decision."""

from __future__ import annotations

import proxy.ratchet


def test_public_names() -> None:
    assert sorted(proxy.ratchet.__all__) == [
        "Baseline", "Endpoint", "Outcome", "Problem", "RatchetConfigError", "RatchetSettings",
        "Snapshot", "Summary", "UpdateResult", "check_repository", "compare",
        "endpoints_from_app", "endpoints_from_openapi", "headline", "load_settings",
        "migration_history", "parse_baseline", "render", "render_history", "take_snapshot",
        "update_repository",
    ]  # fmt: skip
    for name in proxy.ratchet.__all__:
        assert getattr(proxy.ratchet, name) is not None


def test_the_cli_offers_the_formats_the_ratchet_renders() -> None:
    from proxy.ratchet.history import HISTORY_FORMATS
    from proxy.ratchet.report import FORMATS
    from strangler.commands import ratchet

    assert ratchet.FORMATS == FORMATS
    assert ratchet.HISTORY_FORMATS == HISTORY_FORMATS
