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
