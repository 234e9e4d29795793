"""A worker's copies of rendered views: served only at the version asked for, bounded by bytes."""

from __future__ import annotations

from modern.repositories.local_copies import LocalCopies


def test_a_copy_is_served_only_at_its_version() -> None:
    copies: LocalCopies[bytes] = LocalCopies(100)
    copies.put("k", b"v1", b"body")
    assert copies.version("k") == b"v1"
    assert copies.get("k", b"v1") == b"body"
    assert copies.get("k", b"v2") is None
    copies.put("k", b"v2", b"newer")
    assert copies.get("k", b"v1") is None and copies.get("k", b"v2") == b"newer"
    assert copies.size == len(b"newer")


def test_the_least_recently_used_copies_leave_first_when_over_budget() -> None:
    copies: LocalCopies[bytes] = LocalCopies(10)
    copies.put("a", b"1", b"aaaa")
    copies.put("b", b"1", b"bbbb")
    assert copies.get("a", b"1") == b"aaaa"  # a is now the more recently used
    copies.put("c", b"1", b"cccc")
    assert copies.version("b") is None
    assert copies.get("a", b"1") == b"aaaa" and copies.get("c", b"1") == b"cccc"
    assert copies.size == 8


def test_a_value_over_the_whole_budget_is_not_kept_and_drops_the_old_copy() -> None:
    copies: LocalCopies[bytes] = LocalCopies(4)
    copies.put("k", b"1", b"ok")
    copies.put("k", b"2", b"too large")
    assert copies.version("k") is None and copies.size == 0
    nothing: LocalCopies[bytes] = LocalCopies(0)
    nothing.put("k", b"1", b"x")
    assert nothing.version("k") is None
