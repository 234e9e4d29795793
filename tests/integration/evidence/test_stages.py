"""Readiness per stage, and sticky keys that cannot fail silently, through a real proxy.

The foreign app's clients send no bearer token, so `sticky: user` finds no key on any
request: by default the proxy splits them by client address (each test client binds
its own loopback address, 127.0.0.x), strictly it serves them from legacy; either way
status and metrics count them per route.
"""

from __future__ import annotations

import http.client
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.evidence.conftest import Pair, proxy_over

pytestmark = pytest.mark.redis

SHADOW = {"min_comparisons": 5, "ready_threshold": 0.5, "recent_comparisons": 10, "noise_rate": 0}


def route(stage: str, **extra: Any) -> dict[str, Any]:
    return {"id": "invoice", "path": "/invoices/{number}", "stage": stage, "shadow": SHADOW,
            **extra}  # fmt: skip


def side_of(base_url: str, address: str) -> str:
    """One request from a client at `address` (a loopback address of its own); plain
    http.client, because a client object per address must be cheap."""
    url = httpx.URL(base_url)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10,
                                            source_address=(address, 0))  # fmt: skip
    try:
        connection.request("GET", "/invoices/7")
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200
        return str(answer.getheader("x-side"))
    finally:
        connection.close()


def test_canary_and_modern_never_report_ready_from_the_shadow_window(
    pair: Pair, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    pair.steer(planted=False, version=None)
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, route("shadow")) as proxy:
        for number in range(6):
            proxy.client.get(f"/invoices/{number}")
        entry = proxy.until("invoice", lambda e: e["shadow"]["window"]["compared"] == 6)
        assert entry["shadow"]["ready_to_promote"] is True

        strict = {"percent": 50, "sticky": "user", "when_missing": "legacy"}
        proxy.reload(route("canary", canary=strict))
        entry = proxy.route("invoice")
        assert entry["shadow"]["ready_to_promote"] is False
        assert "route is at canary" in entry["shadow"]["ready_reason"]
        assert entry["readiness"]["verdict"] == "not ready"
        # Until the guardrail's first analysis round, then on too few requests to judge.
        reason = entry["readiness"]["reason"]
        assert reason == "waiting for canary analysis" or reason.startswith(
            "canary analysis: insufficient"
        ), reason
        # Requests legacy still serves during the canary are compared by default.
        for number in range(4):
            assert proxy.client.get(f"/invoices/{number}").headers["x-side"] == "legacy"
        entry = proxy.until("invoice", lambda e: e["shadow"]["window"]["compared"] == 10)
        assert entry["shadow"]["ready_to_promote"] is False

        proxy.reload(route("modern"))
        assert proxy.client.get("/invoices/1").headers["x-side"] == "modern"
        entry = proxy.route("invoice")
        assert entry["shadow"]["ready_to_promote"] is False
        assert entry["readiness"]["next"] == "retired"
        assert entry["readiness"]["ready"] is False  # legacy served this route minutes ago
        # 6 shadow and 4 canary requests went to legacy within the traffic window.
        assert entry["readiness"]["reason"].startswith("legacy still served 10 of 11 requests")


def test_sticky_user_without_tokens_still_sends_its_share_to_modern(
    pair: Pair, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    canary = route("canary", canary={"percent": 50, "sticky": "user"})
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, canary) as proxy:
        url = str(proxy.client.base_url)
        sides = [side_of(url, f"127.0.0.{n}") for n in range(2, 122)]
        assert 30 <= sides.count("modern") <= 90, sides.count("modern")
        # A client keeps its side: the address is the sticky key now.
        assert [side_of(url, f"127.0.0.{n}") for n in range(2, 12)] == sides[:10]
        entry = proxy.route("invoice")
        missing = entry["canary"]["sticky_missing"]
        assert missing == {"ip": 130, "legacy": 0, "total": 130}
        assert entry["canary"]["when_missing"] == "ip"
        metrics = proxy.client.get("/_strangler/metrics").text
        assert 'strangler_proxy_sticky_key_missing_total{route="invoice",then="ip"} 130.0' in (
            metrics
        )


def test_strict_sticky_keys_serve_legacy_and_count_every_request_without_one(
    pair: Pair, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    strict = route("canary", canary={"percent": 50, "sticky": "user", "when_missing": "legacy"})
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, strict) as proxy:
        url = str(proxy.client.base_url)
        assert {side_of(url, f"127.0.0.{n}") for n in range(2, 42)} == {"legacy"}
        # With a token, the split applies as configured.
        tokens = {
            n: proxy.client.get("/invoices/1", headers={"authorization": f"Bearer t{n}"})
            for n in range(60)
        }
        sides = [answer.headers["x-side"] for answer in tokens.values()]
        assert set(sides) == {"legacy", "modern"}
        entry = proxy.route("invoice")
        assert entry["canary"]["sticky_missing"] == {"ip": 0, "legacy": 40, "total": 40}
        assert entry["requests"]["modern"] == sides.count("modern")
