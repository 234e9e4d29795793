"""The clock of stored timestamps, shared by every layer.

Timestamps are stored to the millisecond (BSON dates hold no more), so "now" is
truncated before it is written: a reply and a later read of the same value agree.
Kept apart from `modern.wire` (rendering), which services must not import.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now_ms() -> datetime:
    """Now in UTC truncated to milliseconds, as stored (so a reply and a later read agree)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
