"""Repositories against the real database: window scans, error wrapping, slow-query log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import fakeredis
import pymongo
import pytest
from bson import ObjectId
from pymongo.database import Database

from modern.errors import DuplicateKeyError, StorageError
from modern.repositories.cache import Cache
from modern.repositories.indexes import ensure_indexes
from modern.repositories.messages import (
    COUNT_SNAPSHOT_JITTER,
    COUNT_SNAPSHOT_TTL,
    MongoMessages,
    count_key,
)
from modern.repositories.monitoring import SlowQueryListener
from modern.repositories.scans import newest_first
from modern.repositories.users import MongoUsers
from strangler.embedded_db import free_port
from tests.support.isolation import open_database

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(mongo_uri: str) -> Iterator[Database[dict[str, Any]]]:
    with open_database(mongo_uri) as database:
        ensure_indexes(database)
        yield database


def test_window_scans_cross_windows_in_order(db: Database[dict[str, Any]]) -> None:
    room = ObjectId()
    ages = [timedelta(hours=1), timedelta(days=3), timedelta(days=100), timedelta(days=1200)]
    docs = [
        {"_id": ObjectId(), "room_id": room, "created_at": NOW - age, "n": i}
        for i, age in enumerate(ages * 2)
    ]
    db.messages.insert_many(docs)
    expected = sorted(docs, key=lambda d: (d["created_at"], d["_id"]), reverse=True)
    for limit in (1, 3, 5, 8, 20):
        got = newest_first(db.messages, {"room_id": room}, "created_at", limit=limit, anchor=NOW)
        assert [d["_id"] for d in got] == [d["_id"] for d in expected[:limit]], limit
    middle = expected[2]
    after = newest_first(
        db.messages, {"room_id": room}, "created_at", limit=20, anchor=NOW,
        after=(middle["created_at"], middle["_id"]),
    )  # fmt: skip
    assert [d["_id"] for d in after] == [d["_id"] for d in expected[3:]]
    floored = newest_first(
        db.messages, {"room_id": room}, "created_at", limit=20, anchor=NOW,
        floor=NOW - timedelta(days=2),
    )  # fmt: skip
    assert len(floored) == len(docs)  # the floor only skips windows, never rows


def test_nulls_come_last_with_id_ties(db: Database[dict[str, Any]]) -> None:
    rooms = [{"_id": ObjectId(), "last_message_at": at} for at in [None, NOW, None, NOW]]
    db.rooms.insert_many(rooms)
    got = newest_first(
        db.rooms, {}, "last_message_at", limit=10, anchor=NOW, tie=pymongo.ASCENDING,
        nulls_last=True,
    )  # fmt: skip
    dated = sorted(r["_id"] for r in rooms if r["last_message_at"])
    undated = sorted(r["_id"] for r in rooms if not r["last_message_at"])
    assert [r["_id"] for r in got] == dated + undated
    rest = newest_first(
        db.rooms, {}, "last_message_at", limit=10, tie=pymongo.ASCENDING, nulls_last=True,
        after=(None, undated[0]),
    )  # fmt: skip
    assert [r["_id"] for r in rest] == undated[1:]


def test_driver_errors_are_wrapped(db: Database[dict[str, Any]]) -> None:
    users = MongoUsers(db.users, Cache(fakeredis.FakeRedis(), "t:"), profile_ttl=0, list_ttl=0)
    users.insert(username="dup", display_name="d", password_hash="x", now=NOW)
    with pytest.raises(DuplicateKeyError) as caught:
        users.insert(username="dup", display_name="d", password_hash="x", now=NOW)
    assert isinstance(caught.value.__cause__, pymongo.errors.DuplicateKeyError)
    dead: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        f"mongodb://127.0.0.1:{free_port()}/x", serverSelectionTimeoutMS=100
    )
    offline = MongoUsers(
        dead.x.users, Cache(fakeredis.FakeRedis(), "t:"), profile_ttl=0, list_ttl=0
    )
    with pytest.raises(StorageError) as down:
        offline.get(str(ObjectId()))
    assert isinstance(down.value.__cause__, pymongo.errors.PyMongoError)
    dead.close()


def test_counts_snapshot_tops_up_new_messages(db: Database[dict[str, Any]]) -> None:
    cache = Cache(fakeredis.FakeRedis(), "t:")
    messages = MongoMessages(db.messages, cache, summary_ttl=60)
    room = {"id": str(ObjectId()), "last_message_at": None}
    assert messages.counts([room]) == {room["id"]: 0}  # type: ignore[list-item]
    for _ in range(3):
        message = messages.insert(room_id=room["id"], author_id=str(ObjectId()), text="x", now=NOW)
        latest = message["created_at"]
    room["last_message_at"] = latest
    assert messages.counts([room]) == {room["id"]: 3}  # type: ignore[list-item]
    db.messages.insert_one(  # written by someone else (legacy), after the snapshot
        {"room_id": ObjectId(room["id"]), "created_at": NOW + timedelta(seconds=1)}
    )
    room["last_message_at"] = NOW + timedelta(seconds=1)
    assert messages.counts([room]) == {room["id"]: 4}  # type: ignore[list-item]
    assert cache.hits >= 2


def test_slow_queries_are_logged_with_structured_fields(
    mongo_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    listener = SlowQueryListener(threshold_ms=0)
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        mongo_uri, event_listeners=[listener]
    )
    with caplog.at_level(logging.WARNING, logger="modern.slow_query"):
        client.get_default_database().things.find_one({})
    client.close()
    finds = [r for r in caplog.records if getattr(r, "command", None) == "find"]
    assert finds and finds[0].collection == "things"  # type: ignore[attr-defined]
    assert finds[0].duration_ms >= 0  # type: ignore[attr-defined]
    assert listener.commands >= 1 and listener.slow >= 1


def test_count_snapshots_outlive_the_view_ttl(db: Database[dict[str, Any]]) -> None:
    """A view rebuilt after its TTL finds the counts still there: no `$group` recount."""
    client = fakeredis.FakeRedis()
    messages = MongoMessages(db.messages, Cache(client, "t:"), summary_ttl=30)
    rooms = [{"id": str(ObjectId()), "last_message_at": None} for _ in range(20)]
    assert messages.counts(rooms) == {room["id"]: 0 for room in rooms}  # type: ignore[arg-type]
    lives = [client.ttl(f"t:cache:{count_key(room['id'])}") for room in rooms]
    low = COUNT_SNAPSHOT_TTL * (1 - COUNT_SNAPSHOT_JITTER) - 1
    high = COUNT_SNAPSHOT_TTL * (1 + COUNT_SNAPSHOT_JITTER) + 1
    assert all(low <= life <= high for life in lives), lives
    assert len(set(lives)) > 1, "snapshots written together expire together"

    def no_recount(room_ids: list[str]) -> dict[str, dict[str, Any]]:
        raise AssertionError(f"recounted {room_ids}")

    messages._count_all = no_recount  # type: ignore[method-assign]
    assert messages.counts(rooms) == {room["id"]: 0 for room in rooms}  # type: ignore[arg-type]
