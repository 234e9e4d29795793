"""Keyset scans that stay range-bounded, for "newest first" lists.

SecantusDB (docs/decisions/0002-embedded-database.md) answers `sort().limit(n)` by
fetching the whole index range first; only range-bounded scans stay cheap as a
collection grows. So instead of one open-ended `sort().limit()`, a newest-first list is
read in time windows that grow geometrically back from an anchor (a room's
`last_message_at`, or now): each query is bounded on both sides and most pages are
served by the first window. MongoDB would stop at `n` anyway; on it the windows cost a
query or two more at worst.

A keyset cursor `(value, _id)` becomes two bounded queries: the ties at exactly
`value` past `_id` (equality + range on the compound index) and then `field < value`
— a single `$or` condition would not use the index on SecantusDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection

from modern.repositories.mongo import Document, storage_errors

DEFAULT_WINDOWS: tuple[timedelta, ...] = (
    timedelta(days=1),
    timedelta(days=8),
    timedelta(days=64),
    timedelta(days=512),
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def newest_first(
    collection: Collection[Document],
    base: dict[str, Any],
    field: str,
    *,
    limit: int,
    after: tuple[datetime | None, ObjectId] | None = None,
    anchor: datetime | None = None,
    floor: datetime | None = None,
    windows: Sequence[timedelta] = DEFAULT_WINDOWS,
    tie: int = DESCENDING,
    nulls_last: bool = False,
    projection: dict[str, int] | None = None,
) -> list[Document]:
    """Documents matching `base`, by `field` descending then `_id` in `tie` order,
    strictly past `after`; documents without `field` come last when `nulls_last`."""
    out: list[Document] = []
    sort = [(field, DESCENDING), ("_id", tie)]
    past_id = "$lt" if tie == DESCENDING else "$gt"

    def fetch(condition: dict[str, Any], order: list[tuple[str, int]]) -> None:
        with storage_errors(f"scan {collection.name}"):
            cursor = collection.find({**base, **condition}, projection)
            out.extend(cursor.sort(order).limit(limit - len(out)))

    in_nulls = after is not None and after[0] is None
    upper: datetime | None = None
    if after is not None and after[0] is not None:
        fetch({field: after[0], "_id": {past_id: after[1]}}, [("_id", tie)])
        upper = after[0]
    if not in_nulls:
        start = upper or anchor
        for width in windows if start is not None else ():
            if len(out) >= limit:
                break
            assert start is not None  # the loop runs only when there is a start
            low = start - width
            if floor is not None and low <= floor:
                break
            fetch({field: _range(low, upper)}, sort)
            upper = low
        if len(out) < limit:
            fetch({field: _range(EPOCH, upper)}, sort)
    if nulls_last and len(out) < limit:
        condition: dict[str, Any] = {field: None}
        if in_nulls and after is not None:
            condition["_id"] = {"$gt": after[1]}
        fetch(condition, [("_id", ASCENDING)])
    return out


def _range(low: datetime, upper: datetime | None) -> dict[str, datetime]:
    bounds = {"$gte": low}
    if upper is not None:
        bounds["$lt"] = upper
    return bounds
