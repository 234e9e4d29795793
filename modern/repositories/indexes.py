"""Every index modern relies on, created idempotently at start-up.

Each one serves a query named beside it; tests/integration/modern/test_indexes.py
checks with `explain()` that the query uses it.
"""

from __future__ import annotations

import logging

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import PyMongoError

from modern.errors import StorageError

log = logging.getLogger("modern.indexes")

INDEXES: dict[str, list[IndexModel]] = {
    "users": [
        # login and registration (a duplicate username is a 409), search's sort.
        IndexModel([("username", ASCENDING)], unique=True, name="username_1"),
        # home's recent users: a range-bounded scan on last_seen_at.
        IndexModel(
            [("last_seen_at", DESCENDING), ("_id", ASCENDING)], name="last_seen_at_-1__id_1"
        ),
    ],
    "sessions": [
        # every authenticated request looks its token up.
        IndexModel([("token", ASCENDING)], unique=True, name="token_1"),
        # expired sessions disappear by themselves (MongoDB's TTL monitor).
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_at_1"),
    ],
    "rooms": [
        # a user's rooms, home's rooms, "not a member" for suggestions.
        IndexModel([("member_ids", ASCENDING)], name="member_ids_1"),
        # the room list by activity: keyset and window scans on last_message_at.
        IndexModel(
            [("last_message_at", DESCENDING), ("_id", ASCENDING)],
            name="last_message_at_-1__id_1",
        ),
    ],
    "messages": [
        # history pages, latest messages, counts by room: (room, time, id) keyset scans.
        IndexModel(
            [("room_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)],
            name="room_id_1_created_at_1__id_1",
        ),
    ],
}


def ensure_indexes(db: Database[dict[str, object]]) -> None:
    """Create the indexes; an index that already exists with these options is a no-op."""
    for collection, models in INDEXES.items():
        try:
            db[collection].create_indexes(models)
        except PyMongoError as exc:
            # A same-named index with other options was made by someone else (legacy's
            # unique indexes have the default names, identical to ours).
            log.warning("could not create indexes on %s: %s", collection, exc)
            if collection in {"users", "sessions"}:
                _require_unique(db, collection, exc)


def _require_unique(db: Database[dict[str, object]], collection: str, exc: Exception) -> None:
    field = "username" if collection == "users" else "token"
    info = db[collection].index_information()
    if not any(spec.get("unique") and spec["key"][0][0] == field for spec in info.values()):
        raise StorageError(f"unique index on {collection}.{field} is missing: {exc}") from exc
