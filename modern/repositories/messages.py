"""The `messages` collection: history scans, cached latest messages and room counts."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.collection import Collection

from modern.domain import Key, Message, Room, RoomRef
from modern.repositories.cache import Cache
from modern.repositories.documents import reactions as read_reactions
from modern.repositories.documents import timestamp, to_message
from modern.repositories.mongo import Document, find_one_by_id, oid, oids, storage_errors
from modern.repositories.refresh import Refresher
from modern.repositories.scans import newest_first

# A count snapshot stays right as messages are added (see `MongoMessages.counts`), so it
# need not expire with the views: recounting a page of busy rooms is one `$group` over
# their messages (21 s for 50 rooms at the case-study scale on the embedded engine,
# 2.7 s for the biggest room alone), which a short TTL would make some user wait for
# every MODERN_CACHE_TTL. A snapshot is recounted in the background once it is older
# than COUNT_RECOUNT_AFTER (that heals a count after messages were removed behind
# modern's back) and only expires, to be recounted in line, when no read touched it for
# COUNT_SNAPSHOT_TTL. The jitter keeps snapshots written together apart.
COUNT_SNAPSHOT_TTL = 24 * 3600
COUNT_RECOUNT_AFTER = 12 * 3600
COUNT_SNAPSHOT_JITTER = 0.2
# A background recount's lock: longer than the slowest recount, so that reads of a due
# snapshot meanwhile never start a second one (released as soon as it is done).
COUNT_RECOUNT_HOLD = 300.0


def count_key(room_id: str) -> str:
    return f"room:{room_id}:count"


def latest_key(room_id: str) -> str:
    return f"room:{room_id}:latest"


class MongoMessages:
    """Parameters: collection; cache; summary_ttl — seconds for counts and latest
    messages (0 = not cached); refresher — recounts old count snapshots in the
    background (None: they are used until they expire)."""

    def __init__(
        self,
        collection: Collection[Document],
        cache: Cache,
        *,
        summary_ttl: int,
        refresher: Refresher | None = None,
    ) -> None:
        self._messages = collection
        self._cache = cache
        self._ttl = summary_ttl
        self._refresher = refresher

    @property
    def _count_ttl(self) -> int:
        """Seconds a count snapshot lives: at least COUNT_SNAPSHOT_TTL, however short
        the summaries' TTL (it follows new messages by itself); none with the cache off."""
        return max(self._ttl, COUNT_SNAPSHOT_TTL) if self._ttl > 0 else 0

    def insert(self, *, room_id: str, author_id: str, text: str, now: datetime) -> Message:
        doc: Document = {
            "room_id": oid(room_id),
            "author_id": oid(author_id),
            "text": text,
            "created_at": now,
            "edited_at": None,
            "deleted": False,
            "reactions": {},
        }
        with storage_errors("insert message"):
            doc["_id"] = self._messages.insert_one(doc).inserted_id
        self.forget(room_id)
        return to_message(doc)

    def get(self, message_id: str) -> Message | None:
        doc = find_one_by_id(self._messages, message_id)
        return to_message(doc) if doc is not None else None

    def update_text(self, message_id: str, text: str, edited_at: datetime) -> Message | None:
        return self._update({"_id": oid(message_id)}, {"text": text, "edited_at": edited_at})

    def soft_delete(self, message_id: str) -> Message | None:
        return self._update({"_id": oid(message_id)}, {"deleted": True, "text": ""})

    def replace_reactions(
        self, message: Message, reactions: dict[str, list[str]]
    ) -> Message | None:
        """Compare-and-set: None when the stored reactions are no longer `message`'s.

        The condition is the stored value as read, not `message`'s rendering of it: what
        legacy stored may not be in the rendered shape (unset, or holding values that
        are not ids), and comparing with the rendering would never match. A stored map
        with a `$`-prefixed key (legacy takes any emoji) cannot be compared in a query
        at all (the key reads as an operator): that one write is unconditional, as every
        write of legacy's is.
        """
        target = oid(message["id"])
        with storage_errors("find message"):
            doc = self._messages.find_one({"_id": target}, {"reactions": 1})
        stored = doc.get("reactions") if doc is not None else None
        if doc is None or read_reactions(stored) != message["reactions"]:
            return None
        current: Document = {"_id": target}
        if not _has_operator_key(stored):
            current["reactions"] = {"$eq": stored}
        return self._update(current, {"reactions": reactions})

    def newest_page(self, room: RoomRef, before: Key | None, limit: int) -> list[Message]:
        """Newest first, strictly older than `before`, in bounded windows back from the
        room's last activity; messages stored without a date come last (the oldest)."""
        position = (before[0], oid(before[1])) if before is not None else None
        docs = newest_first(
            self._messages, {"room_id": oid(room["id"])}, "created_at", limit=limit,
            after=position, anchor=room["last_message_at"], tie=DESCENDING,  # type: ignore[arg-type]  # cursor kind "datetime?" (decode_cursor checked it)
            nulls_last=True,
        )  # fmt: skip
        return [to_message(doc) for doc in docs]

    def latest(self, room: Room, limit: int) -> list[Message]:
        """The room's newest `limit` messages, oldest first; cached per room."""
        cached = self._cache.get_many([latest_key(room["id"])])[0] if self._ttl > 0 else None
        if cached is not None and cached["limit"] >= limit:
            return cached["items"][-limit:] if limit else []
        items = self.newest_page(room, None, limit)[::-1]
        self._cache.set_many({latest_key(room["id"]): {"limit": limit, "items": items}}, self._ttl)
        return items

    def counts(self, rooms: Sequence[Room]) -> dict[str, int]:
        """Messages per room, deleted ones included (soft deletes never lower a count).

        Cached as a snapshot `{n, last}`: `n` messages up to `last`, the newest
        `created_at` counted. A room whose `last_message_at` is newer than its snapshot
        only counts the messages after `last` (a range-bounded index scan), so posting —
        through modern or legacy — needs no invalidation and no recount of the room.
        Rooms without a snapshot are counted by ONE `$group` aggregation. Snapshots live
        for COUNT_SNAPSHOT_TTL, not the views' TTL, and are recounted in the background
        once due (`due`, epoch seconds): no view rebuild waits for a recount.
        """
        found: dict[str, int] = {}
        fresh: dict[str, dict[str, Any]] = {}
        snapshots = (
            self._cache.get_many([count_key(r["id"]) for r in rooms]) if self._ttl > 0 else []
        )
        due: list[str] = []
        for room, snap in zip(rooms, snapshots, strict=False):
            newest = room["last_message_at"]
            if snap is None or (snap["last"] is None and newest is not None):
                continue  # counted below
            if snap.get("due", 0) < time.time():
                due.append(room["id"])
            if newest is None or newest <= snap["last"]:
                found[room["id"]] = snap["n"]
                continue
            extra, last = self._count_since(room["id"], snap["last"])
            fresh[room["id"]] = {**snap, "n": snap["n"] + extra, "last": last or snap["last"]}
        missing = [r["id"] for r in rooms if r["id"] not in found and r["id"] not in fresh]
        if missing:
            fresh.update(self._recount(missing))
        self._keep_counts(fresh)
        found.update({rid: snap["n"] for rid, snap in fresh.items()})
        if due and self._refresher is not None:
            self._refresher.submit(
                [f"refresh:{count_key(rid)}" for rid in due],
                lambda held: self._keep_counts(self._recount([due[p] for p in held])),
                hold=COUNT_RECOUNT_HOLD,
            )
        return found

    def _keep_counts(self, snapshots: dict[str, dict[str, Any]]) -> None:
        self._cache.set_many(
            {count_key(rid): snap for rid, snap in snapshots.items()},
            self._count_ttl,
            jitter=COUNT_SNAPSHOT_JITTER,
        )

    def _count_all(self, room_ids: list[str]) -> dict[str, dict[str, Any]]:
        pipeline: list[Document] = [
            {"$match": {"room_id": {"$in": oids(room_ids)}}},
            {"$group": {"_id": "$room_id", "n": {"$sum": 1}, "last": {"$max": "$created_at"}}},
        ]
        with storage_errors("count messages"):
            rows = {str(doc["_id"]): doc for doc in self._messages.aggregate(pipeline)}
        return {
            rid: {"n": int(rows[rid]["n"]), "last": timestamp(rows[rid]["last"])}
            if rid in rows
            else {"n": 0, "last": None}
            for rid in room_ids
        }

    def _recount(self, room_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Full counts of the rooms, each a snapshot due for a recount in about
        COUNT_RECOUNT_AFTER (spread, so that rooms counted together come due apart)."""
        snapshots = self._count_all(room_ids)
        for snapshot in snapshots.values():
            spread = 1 + random.uniform(-COUNT_SNAPSHOT_JITTER, COUNT_SNAPSHOT_JITTER)
            snapshot["due"] = time.time() + COUNT_RECOUNT_AFTER * spread
        return snapshots

    def _count_since(self, room_id: str, after: datetime) -> tuple[int, datetime | None]:
        query = {"room_id": oid(room_id), "created_at": {"$gt": after}}
        with storage_errors("count new messages"):
            rows = self._messages.find(query, {"created_at": 1})
            times = [timestamp(doc.get("created_at")) for doc in rows]
        return len(times), max((at for at in times if at is not None), default=None)

    def _update(self, query: Document, changes: Document) -> Message | None:
        if query["_id"] is None:
            return None
        # update_one + find_one, not find_one_and_update: SecantusDB's findAndModify
        # scans the collection (measured: ~0.5 s at 20k documents, 2 ms this way).
        with storage_errors("update message"):
            result = self._messages.update_one(
                {**query, "deleted": {"$ne": True}}, {"$set": changes}
            )
            doc = self._messages.find_one({"_id": query["_id"]}) if result.matched_count else None
        if doc is None:
            return None
        self.forget(str(doc["room_id"]))
        return to_message(doc)

    def forget(self, room_id: str) -> None:
        """Drop what a message write changes here: its room's latest messages (the
        count snapshot corrects itself, see `counts`)."""
        self._cache.delete(latest_key(room_id))


def _has_operator_key(value: Any) -> bool:
    """True when `value` holds a mapping key starting with `$`, at any depth."""
    if isinstance(value, dict):
        return any(str(k).startswith("$") or _has_operator_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(map(_has_operator_key, value))
    return False
