"""Readiness per stage: each stage waits for its own evidence, never a stage it left."""

from __future__ import annotations

from typing import Any

from proxy.config import Route
from proxy.readiness import CANARY_PASS, RecentTraffic, ShadowEvidence, readiness

HOLDS = ShadowEvidence(holds=True, reason="ready", enough=True)
FAILS = ShadowEvidence(holds=False, reason="match rate lower bound 0.9 < 0.99", enough=True)
QUIET = RecentTraffic(legacy=0, modern=0, seconds=300)


def at(stage: str, **extra: Any) -> Route:
    if stage == "canary":
        extra.setdefault("canary", {"percent": 5})
    return Route.model_validate({"id": "r", "path": "/r", "stage": stage, **extra})


def test_shadow_is_judged_on_its_evidence() -> None:
    assert readiness(at("shadow"), HOLDS, None, QUIET).verdict == "ready for canary"
    assert readiness(at("shadow"), FAILS, None, QUIET).reason == FAILS.reason
    assert readiness(at("shadow"), None, CANARY_PASS, QUIET).ready is False


def test_canary_waits_for_its_own_analysis_not_the_shadow_window() -> None:
    waiting = readiness(at("canary"), HOLDS, None, QUIET)
    assert (waiting.ready, waiting.reason) == (False, "waiting for canary analysis")
    held = readiness(at("canary"), HOLDS, "error rate 4% against legacy's 1%", QUIET)
    assert held.reason == "canary analysis: error rate 4% against legacy's 1%"
    assert readiness(at("canary"), HOLDS, CANARY_PASS, QUIET).verdict == "ready for modern"
    # A failing comparison of the legacy share holds even a passing canary.
    assert readiness(at("canary"), FAILS, CANARY_PASS, QUIET).ready is False
    few = ShadowEvidence(holds=False, reason="3 of 500 comparisons needed", enough=False)
    assert readiness(at("canary"), few, CANARY_PASS, QUIET).ready is True


def test_modern_waits_for_legacy_traffic_to_be_gone() -> None:
    assert "no traffic" in readiness(at("modern"), HOLDS, None, QUIET).reason
    busy = readiness(at("modern"), HOLDS, None, RecentTraffic(3, 97, 300))
    assert busy.reason == "legacy still served 3 of 100 requests in the last 300 s"
    gone = readiness(at("modern"), None, None, RecentTraffic(0, 100, 300))
    assert gone.verdict == "ready for retired" and "remove the legacy endpoint" in gone.reason


def test_legacy_and_retired() -> None:
    assert readiness(at("legacy"), HOLDS, CANARY_PASS, QUIET).ready is False
    done = readiness(at("retired"), HOLDS, CANARY_PASS, RecentTraffic(0, 9, 300))
    assert (done.verdict, done.next, done.ready) == ("done", None, False)


def test_the_canary_verdict_comes_from_the_guardrails_latest_analysis() -> None:
    """The seam between the canary analysis and readiness (`admin.status.canary_verdict`)."""
    from types import SimpleNamespace

    from proxy.admin.status import canary_verdict
    from proxy.guardrail.analysis import Verdict

    latest: dict[str, Verdict] = {}
    runtime: Any = SimpleNamespace(guardrail=SimpleNamespace(latest=latest.get))
    assert canary_verdict(runtime, at("canary")) is None  # no analysis yet
    latest["r"] = Verdict("failing", "modern error rate 8% > max_error_rate 5%")
    assert canary_verdict(runtime, at("canary")) == (
        "failing: modern error rate 8% > max_error_rate 5%"
    )
    latest["r"] = Verdict("healthy", "within thresholds")
    assert canary_verdict(runtime, at("canary")) == CANARY_PASS
    assert canary_verdict(runtime, at("modern")) is None  # a stage it left
