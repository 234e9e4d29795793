"""Evidence windows' pure parts: the recent evidence, the fingerprint, counting by rules."""

from __future__ import annotations

import asyncio

import fakeredis

from proxy.config import Route
from proxy.shadow.window_records import fingerprint, recent_counts
from proxy.shadow.windows import Windows

NOW = 1_800_000_000.0
MINUTE = int(NOW // 60)


def test_recent_evidence_is_the_newest_n_within_the_age_limit() -> None:
    log = [f"m{MINUTE}"] * 3 + [f"x{MINUTE - 30}"] * 2 + [f"x{MINUTE - 120}"] * 5
    assert recent_counts(log, limit=100, hours=1, now=NOW)["mismatched"] == 2
    assert recent_counts(log, limit=100, hours=None, now=NOW)["mismatched"] == 7
    assert recent_counts(log, limit=4, hours=None, now=NOW) == {
        "matched": 3, "mismatched": 1, "intended": 0, "modern_error": 0, "timeout": 0,
    }  # fmt: skip
    assert recent_counts([b"?1", b"mx"], limit=10, hours=None, now=NOW)["matched"] == 0


def route(**compare: object) -> Route:
    return Route.model_validate({"id": "r", "path": "/r", "stage": "shadow", "compare": compare})


def test_the_fingerprint_follows_the_rules_and_the_upstream() -> None:
    assert fingerprint(route(), "http://m") == fingerprint(route(), "http://m")
    assert fingerprint(route(), "http://m") != fingerprint(route(ignore=["a"]), "http://m")
    assert fingerprint(route(), "http://m") != fingerprint(route(), "http://m2")


def test_a_comparison_counts_only_in_a_window_of_its_own_rules() -> None:
    windows = Windows(fakeredis.FakeAsyncRedis(), "t:", lambda name: "http://m")
    old, new = route(), route(ignore=["a"])
    asyncio.run(windows.sync([old]))  # window 1: the old rules
    windows.count(old, "mismatched")
    windows.count(new, "matched")  # a reload applied here: held until its window is known
    windows.count(new, "matched")
    assert windows.counts.counts("r:window:1") == {"mismatched": 1}
    asyncio.run(windows.sync([new]))  # this worker's rules changed: window 2 opens
    assert windows.counts.counts("r:window:2") == {"matched": 2}  # none of them lost
    windows.count(old, "mismatched")  # still judged under the old rules: no window now
    asyncio.run(windows.sync([new]))
    assert windows.counts.counts("r:window:2") == {"matched": 2}
    assert windows.counts.counts("r:window:1") == {"mismatched": 1}
