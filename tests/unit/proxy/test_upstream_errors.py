"""The per-upstream record of failures stays small and keeps the newest."""

from __future__ import annotations

from proxy.upstream_errors import RecentErrors


def test_each_upstream_keeps_its_newest_failures_oldest_first() -> None:
    errors = RecentErrors(kept=3)
    for n in range(5):
        errors.record("modern", 502, f"refused {n}", "r", f"id-{n}")
    errors.record("legacy", 504, "slow", "s", "id-x")
    shown = errors.as_json()
    assert list(shown) == ["legacy", "modern"]
    assert [e["request_id"] for e in shown["modern"]] == ["id-2", "id-3", "id-4"]
    assert shown["legacy"][0] | {"at": None} == {
        "at": None, "status": 504, "route": "s", "request_id": "id-x", "detail": "slow", "count": 1,
    }  # fmt: skip
    assert str(shown["legacy"][0]["at"]).endswith("Z")


def test_a_repeated_failure_counts_up_instead_of_pushing_others_out() -> None:
    errors = RecentErrors(kept=3)
    errors.record("modern", 502, "connect refused", "r", "id-0")
    for n in range(1, 50):  # e.g. readyz polled every second while modern is down
        errors.record("modern", 503, "unreachable", "readyz", f"id-{n}")
    shown = errors.as_json()["modern"]
    assert [(e["route"], e["count"], e["request_id"]) for e in shown] == [
        ("r", 1, "id-0"),
        ("readyz", 49, "id-49"),
    ]
