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
        "at": None, "status": 504, "route": "s", "request_id": "id-x", "detail": "slow",
    }  # fmt: skip
    assert str(shown["legacy"][0]["at"]).endswith("Z")
