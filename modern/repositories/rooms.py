"""The `rooms` collection, with the cached "most members" list behind suggestions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from modern.clock import now_ms
from modern.domain import Key, Room, RoomRef
from modern.repositories.cache import Cache
from modern.repositories.documents import refs, to_room, to_room_ref
from modern.repositories.mongo import (
    Document,
    find_by_ids,
    find_one_by_id,
    oid,
    oids,
    storage_errors,
)
from modern.repositories.scans import newest_first

POPULAR_KEY = "home:popular_rooms"
# How many of the most-joined rooms are cached; suggestions filter the caller's rooms
# out of them and fall back to a direct query when too few are left.
POPULAR_CACHED = 40
# `$size` fails the whole aggregation on a room whose `member_ids` is not a list
# (legacy's data may hold anything): such a room ranks as having no members.
_MEMBER_COUNT = {"$cond": [{"$isArray": "$member_ids"}, {"$size": "$member_ids"}, 0]}


class MongoRooms:
    """Parameters: collection; cache; list_ttl — seconds for the popular list (0 = off)."""

    def __init__(self, collection: Collection[Document], cache: Cache, *, list_ttl: int) -> None:
        self._rooms = collection
        self._cache = cache
        self._list_ttl = list_ttl

    def insert(self, *, name: str, topic: str | None, owner_id: str, now: datetime) -> Room:
        owner = oid(owner_id)
        doc: Document = {
            "name": name,
            "topic": topic,
            "owner_id": owner,
            "member_ids": [owner],
            "created_at": now,
            "last_message_at": None,
        }
        with storage_errors("insert room"):
            doc["_id"] = self._rooms.insert_one(doc).inserted_id
        self.forget()
        return to_room(doc)

    def get(self, room_id: str) -> Room | None:
        doc = find_one_by_id(self._rooms, room_id)
        return to_room(doc) if doc is not None else None

    def get_ref(self, room_id: str) -> RoomRef | None:
        """Id and activity only: a big room's `member_ids` (thousands of ids) would cost
        more to decode than the history page it anchors."""
        doc = find_one_by_id(self._rooms, room_id, {"last_message_at": 1})
        return to_room_ref(doc) if doc is not None else None

    def get_many(self, room_ids: Sequence[str]) -> dict[str, Room]:
        """Rooms by id (batched `$in`); unknown ids are left out."""
        docs = find_by_ids(self._rooms, oids(list(dict.fromkeys(room_ids))))
        return {room["id"]: room for room in map(to_room, docs)}

    def list_page(self, member_id: str | None, after: Key | None, limit: int) -> list[Room]:
        """By `last_message_at` descending (none last), ties by id ascending."""
        if member_id is not None:
            return self._member_page(member_id, after, limit)
        position = (after[0], oid(after[1])) if after is not None else None
        docs = newest_first(
            self._rooms, {}, "last_message_at", limit=limit, after=position,  # type: ignore[arg-type]  # cursor kind "datetime?" (decode_cursor checked it)
            anchor=now_ms(), tie=ASCENDING, nulls_last=True,
        )  # fmt: skip
        return [to_room(doc) for doc in docs]

    def _member_page(self, member_id: str, after: Key | None, limit: int) -> list[Room]:
        """A user's rooms: one query on the `member_ids` index alone, ordered here.

        A member's rooms are few, and SecantusDB's planner falls back to a collection
        scan when the filter names a field outside the chosen index (explain() shows it),
        so the keyset condition is applied in Python rather than in the query.
        """
        member = oid(member_id)
        if member is None:
            return []
        with storage_errors("find member rooms"):
            rooms = sorted(map(to_room, self._rooms.find({"member_ids": member})), key=activity)
        if after is not None:
            rooms = [room for room in rooms if activity(room) > _activity_of(*after)]
        return rooms[:limit]

    def add_member(self, room_id: str, user_id: str) -> Room | None:
        self._members_as_list(room_id)
        return self._update(room_id, {"$addToSet": {"member_ids": oid(user_id)}})

    def remove_member(self, room_id: str, user_id: str) -> Room | None:
        self._members_as_list(room_id)
        return self._update(room_id, {"$pull": {"member_ids": oid(user_id)}})

    def _members_as_list(self, room_id: str) -> None:
        """Store `member_ids` as the list it renders as when it is not one (null, a single
        id, anything legacy's data holds): `$addToSet` and `$pull` fail on a non-list."""
        odd = {"_id": oid(room_id), "member_ids": {"$exists": True, "$not": {"$type": "array"}}}
        with storage_errors("update room"):
            doc = self._rooms.find_one(odd, {"member_ids": 1})
            if doc is not None:
                members = oids(refs(doc["member_ids"]))
                self._rooms.update_one(odd, {"$set": {"member_ids": members}})

    def touch_last_message(self, room_id: str, at: datetime) -> None:
        # $max, not $set: of two concurrent posts the older must not win the last write.
        self._update(room_id, {"$max": {"last_message_at": at}})

    def popular(self, exclude_member: str, limit: int) -> list[Room]:
        """Rooms `exclude_member` is not in, most members first, ties by id."""
        top = self._cache.remember(
            POPULAR_KEY, self._list_ttl, lambda: self._popular(None, POPULAR_CACHED)
        )
        kept = [room for room in top if exclude_member not in room["member_ids"]]
        if len(kept) >= limit or len(top) < POPULAR_CACHED:
            return kept[:limit]
        return self._popular(oid(exclude_member), limit)

    def search(self, q: str, after: Key | None, limit: int) -> list[Room]:
        pattern = {"$regex": re.escape(q), "$options": "i"}
        query: Document = {"$or": [{"name": pattern}, {"topic": pattern}]}
        if after is not None:
            name, room_id = after
            query = {
                "$and": [
                    query,
                    {
                        "$or": [
                            {"name": {"$gt": name}},
                            {"name": name, "_id": {"$gt": oid(room_id)}},
                        ]
                    },
                ]
            }
        with storage_errors("search rooms"):
            cursor = self._rooms.find(query).sort([("name", ASCENDING), ("_id", ASCENDING)])
            return [to_room(doc) for doc in cursor.limit(limit)]

    def _popular(self, exclude: Any, limit: int) -> list[Room]:
        match: Document = {"member_ids": {"$ne": exclude}} if exclude is not None else {}
        pipeline: list[Document] = [
            {"$match": match},
            {"$project": {"members": _MEMBER_COUNT}},
            {"$sort": {"members": -1, "_id": 1}},
            {"$limit": limit},
        ]
        with storage_errors("rank rooms"):
            ranked = [doc["_id"] for doc in self._rooms.aggregate(pipeline)]
            docs = {doc["_id"]: doc for doc in self._rooms.find({"_id": {"$in": ranked}})}
        return [to_room(docs[room_id]) for room_id in ranked if room_id in docs]

    def _update(self, room_id: str, change: Document) -> Room | None:
        target = oid(room_id)
        if target is None:
            return None
        with storage_errors("update room"):  # not findAndModify: see messages.py
            self._rooms.update_one({"_id": target}, change)
            doc = self._rooms.find_one({"_id": target})
        self.forget()
        return to_room(doc) if doc is not None else None

    def forget(self) -> None:
        """Drop what any room write changes here: the popular-rooms ranking."""
        self._cache.delete(POPULAR_KEY)


def _activity_of(at: datetime | None, room_id: str) -> tuple[int, float, str]:
    return (1, 0.0, room_id) if at is None else (0, -at.timestamp(), room_id)


def activity(room: Room) -> tuple[int, float, str]:
    """Sort key of the rooms order: `last_message_at` descending, none last, then id."""
    return _activity_of(room["last_message_at"], room["id"])
