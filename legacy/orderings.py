"""The contract's orderings, as Python sort keys over stored documents.

Every ordering breaks ties by id ascending (ObjectId order is the order of its hex
string) and compares strings by code point, like MongoDB without a collation, so that
a bounded page of the rewrite is a prefix of legacy's whole list.

LEGACY: the handlers fetch whole collections and sort them in Python, in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from legacy.db import Doc

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def _millis(moment: datetime) -> int:
    return (moment - _EPOCH) // _MILLISECOND


def _newest_first_nulls_last(moment: datetime | None) -> tuple[int, int]:
    return (1, 0) if moment is None else (0, -_millis(moment))


def by_username(user: Doc) -> tuple[Any, ...]:
    return (user["username"], user["_id"])


def by_last_message_desc(room: Doc) -> tuple[Any, ...]:
    """Rooms by `last_message_at` descending, rooms without messages last."""
    return (*_newest_first_nulls_last(room.get("last_message_at")), room["_id"])


def by_member_count_desc(room: Doc) -> tuple[Any, ...]:
    return (-len(room.get("member_ids", [])), room["_id"])


def by_name(room: Doc) -> tuple[Any, ...]:
    return (room["name"], room["_id"])


def by_created_at(message: Doc) -> tuple[Any, ...]:
    return (_millis(message["created_at"]), message["_id"])


def by_last_seen_desc(user: Doc) -> tuple[Any, ...]:
    """Users by `last_seen_at` descending, never-seen users last."""
    return (*_newest_first_nulls_last(user.get("last_seen_at")), user["_id"])
