"""In-memory stand-ins for modern's repositories, implementing modern.services.ports.

They follow the contract's orderings with plain Python sorts, so a service test checks
the service's logic, not a database.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from modern.domain import Key, Message, Room, RoomRef, User
from modern.errors import DuplicateKeyError

_ids = itertools.count(1)


def new_id() -> str:
    return f"{next(_ids):024x}"


def _activity(room: Room) -> tuple[Any, ...]:
    at = room["last_message_at"]
    return (1, 0, room["id"]) if at is None else (0, -at.timestamp(), room["id"])


class FakeUsers:
    def __init__(self) -> None:
        self.rows: dict[str, User] = {}
        self.hashes: dict[str, str] = {}
        self.get_many_calls = 0

    def insert(
        self, *, username: str, display_name: str, password_hash: str, now: datetime
    ) -> User:
        if any(u["username"] == username for u in self.rows.values()):
            raise DuplicateKeyError(username)
        user: User = {
            "id": new_id(), "username": username, "display_name": display_name, "bio": None,
            "avatar_url": None, "created_at": now, "last_seen_at": now,
        }  # fmt: skip
        self.rows[user["id"]] = user
        self.hashes[user["id"]] = password_hash
        return dict(user)  # type: ignore[return-value]

    def get(self, user_id: str) -> User | None:
        return self.rows.get(user_id)

    def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        self.get_many_calls += 1
        return {uid: self.rows[uid] for uid in user_ids if uid in self.rows}

    def find_credentials(self, username: str) -> tuple[User, str] | None:
        for user in self.rows.values():
            if user["username"] == username:
                return user, self.hashes[user["id"]]
        return None

    def update(self, user_id: str, changes: Mapping[str, Any]) -> User | None:
        if user_id not in self.rows:
            return None
        self.rows[user_id].update(changes)  # type: ignore[typeddict-item]
        return self.rows[user_id]

    def _ordered(self) -> list[User]:
        return sorted(self.rows.values(), key=lambda u: (u["username"], u["id"]))

    def list_page(self, after: str | None, limit: int) -> list[User]:
        return [u for u in self._ordered() if after is None or u["username"] > after][:limit]

    def search(self, q: str, after: str | None, limit: int) -> list[User]:
        hits = [
            u for u in self._ordered()
            if q.lower() in u["username"].lower() or q.lower() in (u["display_name"] or "").lower()
        ]  # fmt: skip
        return [u for u in hits if after is None or u["username"] > after][:limit]

    def recent(self, limit: int) -> list[User]:
        def key(u: User) -> tuple[Any, ...]:
            at = u["last_seen_at"]
            return (1, 0, u["id"]) if at is None else (0, -at.timestamp(), u["id"])

        return sorted(self.rows.values(), key=key)[:limit]


class FakeSessions:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, datetime]] = {}

    def create(self, *, token: str, user_id: str, now: datetime, expires_at: datetime) -> None:
        self.rows[token] = (user_id, expires_at)

    def user_id_for(self, token: str, now: datetime) -> str | None:
        found = self.rows.get(token)
        return found[0] if found and found[1] > now else None

    def delete(self, token: str) -> None:
        self.rows.pop(token, None)


class FakeRooms:
    def __init__(self) -> None:
        self.rows: dict[str, Room] = {}

    def insert(self, *, name: str, topic: str | None, owner_id: str, now: datetime) -> Room:
        room: Room = {
            "id": new_id(), "name": name, "topic": topic, "owner_id": owner_id,
            "member_ids": [owner_id], "created_at": now, "last_message_at": None,
        }  # fmt: skip
        self.rows[room["id"]] = room
        return room

    def get(self, room_id: str) -> Room | None:
        return self.rows.get(room_id)

    def get_ref(self, room_id: str) -> RoomRef | None:
        room = self.rows.get(room_id)
        return {"id": room["id"], "last_message_at": room["last_message_at"]} if room else None

    def get_many(self, room_ids: Sequence[str]) -> dict[str, Room]:
        return {rid: self.rows[rid] for rid in room_ids if rid in self.rows}

    def list_page(self, member_id: str | None, after: Key | None, limit: int) -> list[Room]:
        rooms = sorted(
            (r for r in self.rows.values() if member_id is None or member_id in r["member_ids"]),
            key=_activity,
        )
        if after is not None:
            marker = _activity({"last_message_at": after[0], "id": after[1]})  # type: ignore[typeddict-item]
            rooms = [r for r in rooms if _activity(r) > marker]
        return rooms[:limit]

    def add_member(self, room_id: str, user_id: str) -> Room | None:
        room = self.rows.get(room_id)
        if room is not None and user_id not in room["member_ids"]:
            room["member_ids"].append(user_id)
        return room

    def remove_member(self, room_id: str, user_id: str) -> Room | None:
        room = self.rows.get(room_id)
        if room is not None and user_id in room["member_ids"]:
            room["member_ids"].remove(user_id)
        return room

    def touch_last_message(self, room_id: str, at: datetime) -> None:
        self.rows[room_id]["last_message_at"] = at

    def popular(self, exclude_member: str, limit: int) -> list[Room]:
        rooms = [r for r in self.rows.values() if exclude_member not in r["member_ids"]]
        return sorted(rooms, key=lambda r: (-len(r["member_ids"]), r["id"]))[:limit]

    def search(self, q: str, after: Key | None, limit: int) -> list[Room]:
        hits = sorted(
            (
                r
                for r in self.rows.values()
                if q.lower() in (r["name"] + (r["topic"] or "")).lower()
            ),
            key=lambda r: (r["name"], r["id"]),
        )
        return [r for r in hits if after is None or (r["name"], r["id"]) > after][:limit]


class FakeMessages:
    def __init__(self) -> None:
        self.rows: dict[str, Message] = {}

    def insert(self, *, room_id: str, author_id: str, text: str, now: datetime) -> Message:
        message: Message = {
            "id": new_id(), "room_id": room_id, "author_id": author_id, "text": text,
            "created_at": now, "edited_at": None, "deleted": False, "reactions": {},
        }  # fmt: skip
        self.rows[message["id"]] = message
        return dict(message)  # type: ignore[return-value]

    def get(self, message_id: str) -> Message | None:
        found = self.rows.get(message_id)
        return dict(found) if found else None  # type: ignore[return-value]

    def _live(self, message_id: str) -> Message | None:
        found = self.rows.get(message_id)
        return None if found is None or found["deleted"] else found

    def update_text(self, message_id: str, text: str, edited_at: datetime) -> Message | None:
        found = self._live(message_id)
        if found is not None:
            found.update(text=text, edited_at=edited_at)
        return found

    def soft_delete(self, message_id: str) -> Message | None:
        found = self._live(message_id)
        if found is not None:
            found.update(text="", deleted=True)
        return found

    def replace_reactions(
        self, message: Message, reactions: dict[str, list[str]]
    ) -> Message | None:
        found = self._live(message["id"])
        if found is None or found["reactions"] != message["reactions"]:
            return None
        found["reactions"] = reactions
        return dict(found)  # type: ignore[return-value]

    def newest_page(self, room: RoomRef, before: Key | None, limit: int) -> list[Message]:
        rows = sorted(
            (m for m in self.rows.values() if m["room_id"] == room["id"]),
            key=lambda m: (m["created_at"], m["id"]),
            reverse=True,
        )
        if before is not None:
            rows = [m for m in rows if (m["created_at"], m["id"]) < before]
        return rows[:limit]

    def latest(self, room: Room, limit: int) -> list[Message]:
        return self.newest_page(room, None, limit)[::-1]

    def counts(self, rooms: Sequence[Room]) -> dict[str, int]:
        return {r["id"]: sum(m["room_id"] == r["id"] for m in self.rows.values()) for r in rooms}


class FakeEvents:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def publish(self, room_id: str, event: Mapping[str, Any]) -> None:
        self.sent.append((room_id, dict(event)))
