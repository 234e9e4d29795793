"""Every index modern creates, justified: the query that needs it uses it (explain()).

Indexes are created twice to show start-up is idempotent, including over legacy's own
unique indexes of the same name.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pymongo
import pytest
from bson import ObjectId
from pymongo.database import Database

from modern.repositories.indexes import INDEXES, ensure_indexes
from tests.support.isolation import open_database


@pytest.fixture
def db(mongo_uri: str) -> Iterator[Database[dict[str, Any]]]:
    with open_database(mongo_uri) as database:
        database.users.create_index("username", unique=True)  # what legacy creates
        ensure_indexes(database)
        ensure_indexes(database)
        yield database


def _index_used(plan: dict[str, Any]) -> str | None:
    if plan.get("stage") == "IXSCAN":
        return str(plan["indexName"])
    for child in [plan.get("inputStage"), *plan.get("inputStages", [])]:
        if child:
            found = _index_used(child)
            if found:
                return found
    return None


def _winning(cursor: Any) -> str | None:
    return _index_used(cursor.explain()["queryPlanner"]["winningPlan"])


def test_every_index_exists(db: Database[dict[str, Any]]) -> None:
    for collection, models in INDEXES.items():
        names = set(db[collection].index_information())
        assert {m.document["name"] for m in models} <= names, collection
    info = db.sessions.index_information()
    assert info["token_1"]["unique"] and info["expires_at_1"]["expireAfterSeconds"] == 0
    assert db.users.index_information()["username_1"]["unique"]


def test_each_query_uses_its_index(db: Database[dict[str, Any]]) -> None:
    room, user, at = ObjectId(), ObjectId(), datetime(2026, 1, 1, tzinfo=UTC)
    db.users.insert_one({"username": "u", "last_seen_at": at})
    db.rooms.insert_one({"member_ids": [user], "last_message_at": at})
    db.messages.insert_one({"room_id": room, "created_at": at})
    db.sessions.insert_one({"token": "t", "expires_at": at})
    sort_messages = [("created_at", -1), ("_id", -1)]
    cases = {
        "username_1": db.users.find({"username": {"$gt": "a"}}).sort("username", 1),
        "last_seen_at_-1__id_1": db.users.find({"last_seen_at": {"$gte": at}}).sort(
            [("last_seen_at", -1), ("_id", 1)]
        ),
        "token_1": db.sessions.find({"token": "t"}),
        "member_ids_1": db.rooms.find({"member_ids": user}),
        "last_message_at_-1__id_1": db.rooms.find({"last_message_at": {"$gte": at}}).sort(
            [("last_message_at", -1), ("_id", 1)]
        ),
        "room_id_1_created_at_1__id_1": db.messages.find(
            {"room_id": room, "created_at": {"$gte": at}}
        ).sort(sort_messages),
    }
    for index, cursor in cases.items():
        assert _winning(cursor) == index, index
    # the keyset tie query (equality on time, range on _id) is bounded by the same index
    ties = db.messages.find({"room_id": room, "created_at": at, "_id": {"$lt": ObjectId()}})
    assert _winning(ties) == "room_id_1_created_at_1__id_1"


def test_unique_username_is_enforced(db: Database[dict[str, Any]]) -> None:
    db.users.insert_one({"username": "same"})
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        db.users.insert_one({"username": "same"})
