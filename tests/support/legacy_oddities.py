"""Values only legacy stores, written straight into a database for tests and scripts.

Legacy stores whatever JSON it is sent (see docs/wire-contract.md, "Reading what
legacy stored"); these are the documents such requests leave behind, without
running legacy to make them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from tests.support.isolation import open_database


def store_legacy_oddities(mongo_uri: str, room_id: str, user_id: str) -> list[str]:
    """Give `user_id` an Infinity bio and a `javascript:` avatar, and post three messages
    of theirs to `room_id` whose text is NaN, a number and an object; their ids."""
    with open_database(mongo_uri) as db:
        db.users.update_one(
            {"_id": ObjectId(user_id)},
            {"$set": {"bio": float("inf"), "avatar_url": "javascript:alert(1)"}},
        )
        now = datetime.now(UTC)
        ids = db.messages.insert_many(
            {"room_id": ObjectId(room_id), "author_id": ObjectId(user_id), "text": text,
             "created_at": now, "edited_at": None, "deleted": False, "reactions": {}}
            for text in (float("nan"), 42, {"a": [float("-inf")]})
        ).inserted_ids  # fmt: skip
        db.rooms.update_one({"_id": ObjectId(room_id)}, {"$set": {"last_message_at": now}})
        return [str(message_id) for message_id in ids]
