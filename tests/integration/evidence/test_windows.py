"""Evidence windows through a real proxy, on a foreign app pair and real Redis.

Modern's invoices carry a planted extra field. Each test shows one way evidence
starts afresh (a compare rule, a reset, a new modern version): the new window starts
at zero, the route becomes ready after the configured minimum of clean comparisons,
and the old window stays readable beside the lifetime counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from strangler.cli import main
from tests.integration.evidence.conftest import Pair, Proxy, proxy_over

pytestmark = pytest.mark.redis

MINIMUM = 20
# 20 clean of 20 have a Wilson lower bound of 0.839: the threshold fits the small minimum.
SHADOW = {"min_comparisons": MINIMUM, "ready_threshold": 0.8, "recent_comparisons": 40,
          "noise_rate": 0}  # fmt: skip


def invoices(proxy: Proxy, count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        answer = proxy.client.get(f"/invoices/{number}")
        assert answer.status_code == 200 and answer.headers["x-side"] == "legacy"


def route(**extra: Any) -> dict[str, Any]:
    return {"id": "invoice", "path": "/invoices/{number}", "stage": "shadow", "shadow": SHADOW,
            **extra}  # fmt: skip


def window(entry: dict[str, Any]) -> dict[str, Any]:
    return entry["shadow"]["window"]


def planted_mismatches(proxy: Proxy, count: int) -> dict[str, Any]:
    invoices(proxy, count)
    entry = proxy.until("invoice", lambda e: window(e)["compared"] == count)
    assert window(entry)["mismatched"] == count and window(entry)["id"] == 1
    assert entry["shadow"]["ready_to_promote"] is False
    return entry


def clean_until_ready(proxy: Proxy, window_id: int) -> dict[str, Any]:
    """Clean comparisons: not ready one short of the minimum, ready at it."""
    invoices(proxy, MINIMUM - 1, start=100)
    entry = proxy.until("invoice", lambda e: window(e)["compared"] == MINIMUM - 1)
    assert window(entry)["id"] == window_id
    assert entry["shadow"]["ready_to_promote"] is False
    assert entry["readiness"]["reason"] == f"{MINIMUM - 1} of {MINIMUM} comparisons needed"
    invoices(proxy, 1, start=200)
    entry = proxy.until("invoice", lambda e: window(e)["compared"] == MINIMUM)
    assert window(entry)["matched"] == MINIMUM and window(entry)["mismatched"] == 0
    assert entry["shadow"]["ready_to_promote"] is True, entry["shadow"]["ready_reason"]
    assert entry["readiness"] == {"stage": "shadow", "next": "canary", "ready": True,
                                  "verdict": "ready for canary", "reason": "ready"}  # fmt: skip
    return entry


def test_a_compare_rule_starts_a_new_window(
    pair: Pair, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    pair.steer(planted=True, version=None)
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, route()) as proxy:
        planted_mismatches(proxy, 15)
        proxy.reload(route(compare={"ignore": ["formatted"]}))
        entry = proxy.until("invoice", lambda e: window(e)["id"] == 2)
        assert window(entry)["reason"] == "compare rules changed"
        assert window(entry)["compared"] == 0
        entry = clean_until_ready(proxy, 2)
        # The old window is still there to read, and the lifetime counts beside it.
        old = entry["shadow"]["history"][0]
        assert (old["id"], old["mismatched"], old["ended_by"]) == (1, 15, "compare rules changed")
        assert entry["shadow"]["compared"] == 15 + MINIMUM
        assert entry["shadow"]["mismatched"] == 15
        # Each difference sample says which window's evidence it was.
        samples = proxy.client.get("/_strangler/api/routes/invoice/diffs").json()
        assert samples and {s["window"] for s in samples} == {1}


def test_a_reset_starts_a_new_window(
    pair: Pair,
    tmp_path: Path,
    redis_url: str,
    redis_prefix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pair.steer(planted=True, version=None)
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, route()) as proxy:
        planted_mismatches(proxy, 10)
        pair.steer(planted=False)  # modern fixed without announcing a version
        url = str(proxy.client.base_url)
        command = ["shadow", "reset", "invoice", "--reason", "formatted removed in modern"]
        assert main([*command, "--url", url]) == 0
        assert "evidence window 2 opened" in capsys.readouterr().out
        entry = proxy.route("invoice")
        assert window(entry)["reason"] == "reset: formatted removed in modern"
        assert window(entry)["compared"] == 0
        clean_until_ready(proxy, 2)
        shown = proxy.client.get("/_strangler/api/routes/invoice/shadow").json()
        assert shown["status"]["history"][0]["mismatched"] == 10
        # The API refuses a reset without a reason, naming the field.
        refused = proxy.client.post("/_strangler/api/routes/invoice/shadow/reset", json={})
        assert refused.status_code == 422 and "reason" in refused.json()["error"]["message"]


def test_a_new_modern_version_starts_a_new_window(
    pair: Pair, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    pair.steer(planted=True, version="1.4.0")
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, route()) as proxy:
        entry = planted_mismatches(proxy, 12)
        assert window(entry)["version"] == "1.4.0"  # the first version seen is recorded
        pair.steer(planted=False, version="1.5.0")  # the fix is deployed
        entry = clean_until_ready(proxy, 2)
        assert window(entry)["reason"] == "modern version 1.4.0 → 1.5.0"
        assert window(entry)["version"] == "1.5.0"
        assert entry["shadow"]["history"][0]["mismatched"] == 12


def test_evidence_ages_a_regression_stops_readiness_and_a_fix_restores_it(
    pair: Pair, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    pair.steer(planted=False, version=None)
    sliding = {"min_comparisons": 10, "ready_threshold": 0.7, "recent_comparisons": 15,
               "noise_rate": 0}  # fmt: skip
    with proxy_over(pair, tmp_path, redis_url, redis_prefix, route(shadow=sliding)) as proxy:
        invoices(proxy, 15)
        entry = proxy.until("invoice", lambda e: window(e)["compared"] == 15)
        assert entry["shadow"]["ready_to_promote"] is True
        pair.steer(planted=True)  # a regression, deployed without a new version
        invoices(proxy, 5, start=100)
        entry = proxy.until("invoice", lambda e: window(e)["compared"] == 20)
        assert entry["shadow"]["recent"]["mismatched"] == 5
        assert entry["shadow"]["ready_to_promote"] is False
        pair.steer(planted=False)  # fixed: the clean comparisons push the bad ones out
        invoices(proxy, 15, start=200)
        entry = proxy.until("invoice", lambda e: window(e)["compared"] == 35)
        assert entry["shadow"]["recent"] == {**entry["shadow"]["recent"], "compared": 15,
                                             "mismatched": 0}  # fmt: skip
        assert entry["shadow"]["ready_to_promote"] is True
        assert window(entry)["id"] == 1 and window(entry)["mismatched"] == 5  # no reset needed
