"""Route status from counts: readiness rules and the Prometheus text."""

from __future__ import annotations

from proxy.config import Route
from proxy.shadow.status import build_status, metrics_text
from proxy.shadow.windows import Window
from tests.support.metrics import sample

ROUTE = Route.model_validate({"id": "list-rooms", "path": "/api/rooms", "stage": "shadow"})
WINDOW = Window(2, 1_790_000_000.0, "compare rules changed", "f" * 16, "http://m")


def windows(recent: dict[str, int], closed: int = 0) -> dict[str, object]:
    old = Window(1, 1_780_000_000.0, "first comparison", "e" * 16, "http://m", None, 1.79e9, "x")
    return {
        "current": WINDOW,
        "counts": recent,
        "recent": recent,
        "closed": [(old, {"mismatched": closed})] if closed else [],
    }


def status(route: Route = ROUTE, **counts: int) -> dict[str, object]:
    latency = {"legacy": [0.1, 0.2, 0.3], "modern": []}
    return build_status(route, counts, latency, windows(counts))


def test_ready_needs_volume_and_a_high_lower_bound() -> None:
    assert status(matched=499)["ready_to_promote"] is False
    ready = status(matched=900, intended=100)
    assert ready["ready_to_promote"] is True and ready["compared"] == 1000
    assert ready["match_rate"] == 1.0
    assert 0.99 < float(ready["match_rate_lower_bound"]) < 1.0  # type: ignore[arg-type]
    assert status(matched=990, mismatched=10)["ready_to_promote"] is False


def test_readiness_is_judged_on_the_recent_window_not_the_lifetime() -> None:
    lifetime = {"matched": 700, "mismatched": 150}
    result = build_status(ROUTE, lifetime, {}, windows({"matched": 700}, closed=150))
    assert result["ready_to_promote"] is True, result["ready_reason"]
    assert result["compared"] == 850 and result["mismatched"] == 150  # lifetime kept beside
    assert result["window"]["id"] == 2 and result["window"]["compared"] == 700  # type: ignore[index]
    assert result["window"]["reason"] == "compare rules changed"  # type: ignore[index]
    history = result["history"]
    assert [(w["id"], w["mismatched"]) for w in history] == [(1, 150)]  # type: ignore[index]
    assert build_status(ROUTE, lifetime, {}, None)["ready_to_promote"] is False


def test_a_route_that_left_shadow_is_never_ready_from_its_shadow_window() -> None:
    for stage, extra in (("canary", {"canary": {"percent": 5}}), ("modern", {})):
        moved = Route.model_validate(
            {**ROUTE.model_dump(exclude_unset=True), "stage": stage, **extra}
        )
        result = status(moved, matched=5000)
        assert result["ready_to_promote"] is False
        assert f"route is at {stage}" in str(result["ready_reason"])


def test_errors_and_timeouts_spend_the_failure_budget() -> None:
    assert status(matched=2000, timeout=5)["ready_to_promote"] is True
    blocked = status(matched=2000, timeout=15, modern_error=10)
    assert blocked["ready_to_promote"] is False
    assert "failure budget" in str(blocked["ready_reason"])


def test_fields_latency_and_skip_reasons() -> None:
    counts = {
        "mismatched": 3,
        "matched": 1,
        "diff:rooms[*].name": 3,
        "kind:changed:rooms[*].name": 3,
        "diff:x": 1,
        "skipped": 2,
        "skipped:body over 1 bytes": 2,
    }
    latency = {"legacy": [0.1, 0.2, 0.3], "modern": [1.0]}
    result = build_status(ROUTE, counts, latency, windows(counts))
    fields = result["fields"]
    assert [f["path"] for f in fields] == ["rooms[*].name", "x"]  # type: ignore[union-attr]
    assert fields[0]["kinds"] == ["changed"]  # type: ignore[index]
    assert result["latency"]["legacy"]["p50_ms"] == 200.0  # type: ignore[index]
    assert result["latency"]["modern"]["samples"] == 1  # type: ignore[index]
    assert result["skipped_reasons"] == {"body over 1 bytes": 2}
    assert result["noise"]["learning"] is True  # type: ignore[index]


def test_metrics_text() -> None:
    counts = {"matched": 3, "mismatched": 1, 'diff:a"b': 1, "rechecked": 2, "recheck_cleared": 1}
    text = metrics_text([(ROUTE, counts, counts)])
    route = "list-rooms"
    assert sample(text, "strangler_shadow_outcomes_total", route=route, outcome="matched") == 3
    assert sample(text, "strangler_shadow_rechecks_total", route=route, result="rechecked") == 2
    assert sample(text, "strangler_shadow_rechecks_total", route=route, result="cleared") == 1
    assert build_status(ROUTE, counts, {})["recheck"] == {"rechecked": 2, "cleared": 1}
    assert sample(text, "strangler_shadow_match_rate", route=route) == 0.75
    assert 'path="a\\"b"' in text  # the label value escaped
    field = "strangler_shadow_field_differences_total"
    assert sample(text, field, route=route, path='a"b') == 1
    assert "# TYPE strangler_shadow_ready_to_promote gauge" in text
