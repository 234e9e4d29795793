"""The declared differences between legacy and modern, as named comparison rules.

Every comparison in the parity suite goes through one of these functions, which
asserts the rule and records which rule allowed the pair (a body that is identical
is recorded as `identical`). docs/wire-contract.md declares them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx

RULES = {
    "identical": "same status and same body",
    "bounded-prefix": "modern's bounded list (limit 50, or the home/search bound) is a prefix "
    "of legacy's whole list",
    "newest-suffix": "modern's chat history is the newest page: a suffix of legacy's history",
    "home-bounds": "home: rooms ≤ 20 (prefix), latest_messages ≤ 3 (suffix), suggested ≤ 10 "
    "and recent_users ≤ 10 (prefixes); everything else identical",
    "same-error": "both refuse with the same status and error code (message wording may differ)",
    "bad-input-4xx": "legacy may answer 500 to (or even accept) malformed input; modern "
    "answers a 4xx envelope",
}


class Ledger:
    """Which rule allowed each comparison, by scenario, for the closing report."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def note(self, scenario: str, rule: str) -> None:
        assert rule in RULES, rule
        self.entries.append((scenario, rule))

    def summary(self) -> str:
        counts = Counter(rule for _, rule in self.entries)
        lines = [f"{counts[rule]:4d}  {rule}: {RULES[rule]}" for rule in RULES if counts[rule]]
        return "parity comparisons by rule:\n" + "\n".join(lines)


def _ok(legacy: httpx.Response, modern: httpx.Response, scenario: str) -> None:
    assert legacy.status_code == modern.status_code, (
        f"{scenario}: legacy {legacy.status_code} {legacy.text[:200]} / "
        f"modern {modern.status_code} {modern.text[:200]}"
    )


def identical(
    ledger: Ledger, scenario: str, legacy: httpx.Response, modern: httpx.Response
) -> None:
    _ok(legacy, modern, scenario)
    assert legacy.json() == modern.json(), f"{scenario} [identical]"
    ledger.note(scenario, "identical")


def _is_prefix(part: Sequence[Any], whole: Sequence[Any], bound: int) -> bool:
    return list(part) == list(whole[: len(part)]) and len(part) == min(bound, len(whole))


def _is_suffix(part: Sequence[Any], whole: Sequence[Any], bound: int) -> bool:
    return len(part) == min(bound, len(whole)) and list(part) == list(
        whole[len(whole) - len(part) :]
    )


def bounded_prefix(
    ledger: Ledger, scenario: str, legacy: httpx.Response, modern: httpx.Response, bound: int = 50
) -> None:
    _ok(legacy, modern, scenario)
    whole, part = legacy.json(), modern.json()
    assert _is_prefix(part, whole, bound), f"{scenario} [bounded-prefix]"
    ledger.note(scenario, "identical" if part == whole else "bounded-prefix")


def newest_suffix(ledger: Ledger, scenario: str, legacy: Any, modern: Any, bound: int = 50) -> None:
    """`legacy`/`modern` are message lists (already extracted from their replies)."""
    assert _is_suffix(modern, legacy, bound), f"{scenario} [newest-suffix]"
    ledger.note(scenario, "identical" if modern == legacy else "newest-suffix")


def room_detail(
    ledger: Ledger, scenario: str, legacy: httpx.Response, modern: httpx.Response
) -> None:
    _ok(legacy, modern, scenario)
    whole, part = legacy.json(), modern.json()
    newest_suffix(ledger, scenario + " messages", whole.pop("messages"), part.pop("messages"))
    assert whole == part, f"{scenario} [identical apart from messages]"
    ledger.note(scenario, "identical")


def home(ledger: Ledger, scenario: str, legacy: httpx.Response, modern: httpx.Response) -> None:
    _ok(legacy, modern, scenario)
    whole, part = legacy.json(), modern.json()
    assert whole["user"] == part["user"], scenario
    assert _is_prefix(part["suggested_rooms"], whole["suggested_rooms"], 10), scenario
    assert _is_prefix(part["recent_users"], whole["recent_users"], 10), scenario
    assert len(part["rooms"]) == min(20, len(whole["rooms"])), scenario
    for mine, theirs in zip(part["rooms"], whole["rooms"], strict=False):
        assert _is_suffix(mine.pop("latest_messages"), theirs.pop("latest_messages"), 3), scenario
        assert mine == theirs, f"{scenario} [home-bounds] room"
    ledger.note(scenario, "home-bounds")


def search(ledger: Ledger, scenario: str, legacy: httpx.Response, modern: httpx.Response) -> None:
    _ok(legacy, modern, scenario)
    whole, part = legacy.json(), modern.json()
    assert set(whole) == set(part) == {"users", "rooms"}, scenario
    for key in ("users", "rooms"):
        assert _is_prefix(part[key], whole[key], 50), f"{scenario} {key} [bounded-prefix]"
    ledger.note(scenario, "identical" if part == whole else "bounded-prefix")


def same_error(
    ledger: Ledger, scenario: str, legacy: httpx.Response, modern: httpx.Response
) -> None:
    _ok(legacy, modern, scenario)
    assert legacy.json()["error"]["code"] == modern.json()["error"]["code"], scenario
    ledger.note(scenario, "same-error")


def bad_input(
    ledger: Ledger, scenario: str, legacy: httpx.Response, modern: httpx.Response
) -> None:
    """Legacy may 500, 4xx or accept it (no validation); modern must answer a 4xx envelope."""
    assert legacy.status_code < 600, scenario
    assert 400 <= modern.status_code < 500, f"{scenario}: modern {modern.status_code}"
    assert set(modern.json()["error"]) >= {"code", "message"}, scenario
    if legacy.status_code == modern.status_code and legacy.status_code != 500:
        assert legacy.json()["error"]["code"] == modern.json()["error"]["code"], scenario
        ledger.note(scenario, "same-error")
    else:
        ledger.note(scenario, "bad-input-4xx")
