"""The `users` collection, with cached profiles and the cached recent-users list."""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from modern.clock import now_ms
from modern.domain import User
from modern.repositories.cache import Cache
from modern.repositories.documents import to_user
from modern.repositories.mongo import (
    USER_PROJECTION,
    Document,
    find_by_ids,
    oid,
    oids,
    storage_errors,
)
from modern.repositories.scans import newest_first

RECENT_KEY = "home:recent_users"
DIRECTORY_KEY = "users:directory"
# Above this many users the directory is not cached (its reads would outweigh the gain).
DIRECTORY_MAX = 20_000
# Profiles read together (a big room's 2,000 members) must not expire together: the
# view rebuilt after a write would then fetch all of them from the database in line
# (1.3 s for the biggest room at the case-study scale). Spread by ±20%, each rebuild
# finds only the few that expired since the last one.
PROFILE_JITTER = 0.2


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


class MongoUsers:
    """Parameters: collection; cache; profile_ttl, list_ttl — seconds (0 = not cached)."""

    def __init__(
        self, collection: Collection[Document], cache: Cache, *, profile_ttl: int, list_ttl: int
    ) -> None:
        self._users = collection
        self._cache = cache
        self._profile_ttl = profile_ttl
        self._list_ttl = list_ttl

    def insert(
        self, *, username: str, display_name: str, password_hash: str, now: datetime
    ) -> User:
        doc: Document = {
            "username": username,
            "display_name": display_name,
            "bio": None,
            "avatar_url": None,
            "password_hash": password_hash,
            "created_at": now,
            "last_seen_at": now,
        }
        with storage_errors("insert user"):
            doc["_id"] = self._users.insert_one(doc).inserted_id
        self.forget(str(doc["_id"]), created=True)
        return to_user(doc)

    def get(self, user_id: str) -> User | None:
        return self.get_many([user_id]).get(user_id)

    def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        """Profiles by id: cached ones from one MGET, the rest by `$in` (batched)."""
        ids = list(dict.fromkeys(user_ids))
        found: dict[str, User] = {}
        if self._profile_ttl > 0:
            cached = self._cache.get_many([user_key(uid) for uid in ids])
            found = {uid: value for uid, value in zip(ids, cached, strict=True) if value}
        missing = oids([uid for uid in ids if uid not in found])
        if missing:
            docs = find_by_ids(self._users, missing, USER_PROJECTION)
            loaded = {user["id"]: user for user in map(to_user, docs)}
            self._cache.set_many(
                {user_key(uid): user for uid, user in loaded.items()},
                self._profile_ttl,
                jitter=PROFILE_JITTER,
            )
            found.update(loaded)
        return found

    def find_credentials(self, username: str) -> tuple[User, str] | None:
        with storage_errors("find credentials"):
            doc = self._users.find_one({"username": username})
        if doc is None:
            return None
        return to_user(doc), str(doc.get("password_hash", ""))

    def update(self, user_id: str, changes: Mapping[str, Any]) -> User | None:
        target = oid(user_id)
        if target is None:
            return None
        with storage_errors("update user"):  # not findAndModify: see messages.py
            self._users.update_one({"_id": target}, {"$set": dict(changes)})
            doc = self._users.find_one({"_id": target}, USER_PROJECTION)
        self.forget(user_id, created=False)
        return to_user(doc) if doc is not None else None

    def forget(self, user_id: str, *, created: bool) -> None:
        """Drop what a write to this user changes: a registration the directory and
        recent users, a profile (or `last_seen_at`) change the profile and recent users."""
        if created:
            self._cache.delete(RECENT_KEY, DIRECTORY_KEY)
        else:
            self._cache.delete(user_key(user_id), RECENT_KEY)

    def list_page(self, after: str | None, limit: int) -> list[User]:
        """Username order. With the cache on, pages are cut from the cached directory of
        (username, id) pairs and filled from cached profiles: SecantusDB walks the whole
        username index for every `sort().limit()` (slower than legacy's plain scan), and
        usernames never change, so only a registration invalidates the directory."""
        directory = self._cache.remember(DIRECTORY_KEY, self._list_ttl, self._directory)["rows"]
        if directory is None:
            query = {"username": {"$gt": after}} if after is not None else {}
            return self._sorted(query, limit)
        start = bisect.bisect_right(directory, [after, "\uffff"]) if after is not None else 0
        ids = [uid for _, uid in directory[start : start + limit]]
        found = self.get_many(ids)
        return [found[uid] for uid in ids if uid in found]

    def _directory(self) -> dict[str, list[list[str]] | None]:
        """`{"rows": every [username, id] in order}` from one narrow scan; rows None when
        the cache is off or there are too many users (then pages walk the index)."""
        if self._list_ttl <= 0:
            return {"rows": None}
        with storage_errors("list usernames"):
            rows = list(self._users.find({}, {"username": 1}).limit(DIRECTORY_MAX + 1))
        if len(rows) > DIRECTORY_MAX:
            return {"rows": None}
        users = map(to_user, rows)  # usernames as they render: any stored type sorts
        return {"rows": sorted([user["username"], user["id"]] for user in users)}

    def search(self, q: str, after: str | None, limit: int) -> list[User]:
        pattern = {"$regex": re.escape(q), "$options": "i"}
        query: Document = {"$or": [{"username": pattern}, {"display_name": pattern}]}
        if after is not None:
            query["username"] = {"$gt": after}
        return self._matching(query, limit)

    def recent(self, limit: int) -> list[User]:
        """By `last_seen_at` descending (never seen last), ties by id; cached."""
        return self._cache.remember(
            RECENT_KEY,
            self._list_ttl,
            lambda: self._recent(limit),
        )

    def _recent(self, limit: int) -> list[User]:
        docs = newest_first(
            self._users, {}, "last_seen_at", limit=limit, anchor=now_ms(),
            tie=ASCENDING, nulls_last=True, projection=USER_PROJECTION,
        )  # fmt: skip
        return [to_user(doc) for doc in docs]

    def _sorted(self, query: Document, limit: int) -> list[User]:
        """One page in username order, in two steps: the page's ids from a narrow
        projection of (username, _id), then the profiles by id (cache first).

        SecantusDB fetches the whole index range before `limit` applies, so the wide
        first step is kept as narrow as it can be.
        """
        with storage_errors("list users"):
            cursor = self._users.find(query, {"username": 1}).sort([("username", 1), ("_id", 1)])
            ids = [str(row["_id"]) for row in cursor.limit(limit)]
        found = self.get_many(ids)
        return [found[uid] for uid in ids if uid in found]

    def _matching(self, query: Document, limit: int) -> list[User]:
        """A regex search scans the collection anyway (no index serves an unanchored,
        case-insensitive pattern): one pass, sorted here, without an index walk."""
        with storage_errors("search users"):
            docs = list(self._users.find(query, USER_PROJECTION))
        users = sorted(map(to_user, docs), key=lambda user: (user["username"], user["id"]))
        return users[:limit]
