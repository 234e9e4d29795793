"""Route status from counts: readiness rules and the Prometheus text."""

from __future__ import annotations

from proxy.config import Route
from proxy.shadow.status import build_status, metrics_text

ROUTE = Route.model_validate({"id": "list-rooms", "path": "/api/rooms", "stage": "shadow"})


def status(**counts: int) -> dict[str, object]:
    return build_status(ROUTE, counts, {"legacy": [0.1, 0.2, 0.3], "modern": []})


def test_ready_needs_volume_and_a_high_lower_bound() -> None:
    assert status(matched=499)["ready_to_promote"] is False
    ready = status(matched=900, intended=100)
    assert ready["ready_to_promote"] is True and ready["compared"] == 1000
    assert ready["match_rate"] == 1.0
    assert 0.99 < float(ready["match_rate_lower_bound"]) < 1.0  # type: ignore[arg-type]
    assert status(matched=990, mismatched=10)["ready_to_promote"] is False


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
    result = build_status(ROUTE, counts, {"legacy": [0.1, 0.2, 0.3], "modern": [1.0]})
    fields = result["fields"]
    assert [f["path"] for f in fields] == ["rooms[*].name", "x"]  # type: ignore[union-attr]
    assert fields[0]["kinds"] == ["changed"]  # type: ignore[index]
    assert result["latency"]["legacy"]["p50_ms"] == 200.0  # type: ignore[index]
    assert result["latency"]["modern"]["samples"] == 1  # type: ignore[index]
    assert result["skipped_reasons"] == {"body over 1 bytes": 2}
    assert result["noise"]["learning"] is True  # type: ignore[index]


def test_metrics_text() -> None:
    counts = {"matched": 3, "mismatched": 1, 'diff:a"b': 1, "rechecked": 2, "recheck_cleared": 1}
    text = metrics_text([(ROUTE, counts)])
    assert 'strangler_shadow_outcomes_total{route="list-rooms",outcome="matched"} 3' in text
    assert 'strangler_shadow_rechecks_total{route="list-rooms",result="rechecked"} 2' in text
    assert 'strangler_shadow_rechecks_total{route="list-rooms",result="cleared"} 1' in text
    assert build_status(ROUTE, counts, {})["recheck"] == {"rechecked": 2, "cleared": 1}
    assert 'strangler_shadow_match_rate{route="list-rooms"} 0.750000' in text
    assert 'path="a\\"b"' in text
    assert "# TYPE strangler_shadow_ready_to_promote gauge" in text
