"""Evidence windows live in Redis: every worker shows the same window, and a restart
keeps it (a restart with other rules opens the next one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.evidence.conftest import Pair, proxy_over

pytestmark = pytest.mark.redis

SHADOW = {"min_comparisons": 5, "ready_threshold": 0.5, "recent_comparisons": 10, "noise_rate": 0}


def route(**extra: Any) -> dict[str, Any]:
    return {"id": "invoice", "path": "/invoices/{number}", "stage": "shadow", "shadow": SHADOW,
            **extra}  # fmt: skip


def test_every_worker_and_a_restart_see_the_same_windows(
    pair: Pair, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    pair.steer(planted=True, version=None)
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, route(), workers=2) as proxy:
        for number in range(8):
            proxy.client.get(f"/invoices/{number}")
        proxy.until("invoice", lambda e: e["shadow"]["window"]["compared"] == 8)
        proxy.reload(route(compare={"ignore": ["formatted"]}))  # the other worker hears it
        for number in range(6):
            proxy.client.get(f"/invoices/{number}")
        entry = proxy.until("invoice", lambda e: e["shadow"]["window"]["compared"] == 6)
        seen = {
            (e["shadow"]["window"]["id"], e["shadow"]["window"]["compared"],
             e["shadow"]["history"][0]["mismatched"])
            for e in (proxy.route("invoice") for _ in range(12))
        }  # fmt: skip
        assert seen == {(2, 6, 8)}  # whichever worker answered
        assert entry["shadow"]["ready_to_promote"] is True

    explained = route(compare={"ignore": ["formatted"]})
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, explained) as restarted:
        entry = restarted.route("invoice")
        assert entry["shadow"]["window"]["id"] == 2 and entry["shadow"]["window"]["compared"] == 6
        assert entry["shadow"]["ready_to_promote"] is True  # the evidence survived the restart

    stricter = route(compare={"ignore": ["formatted"], "headers": ["content-type", "x-side"]})
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, stricter) as changed:
        entry = changed.route("invoice")
        assert entry["shadow"]["window"]["id"] == 3
        assert entry["shadow"]["window"]["reason"] == "compare rules changed"
        assert [w["id"] for w in entry["shadow"]["history"]] == [2, 1]
