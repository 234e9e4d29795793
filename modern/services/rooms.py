"""Rooms: listing with members and counts, creation, detail with history, join, leave."""

from __future__ import annotations

from typing import Any

from modern.domain import Key, Room
from modern.errors import NotFound
from modern.services.members import members_by_room
from modern.services.pagination import Page, decode_cursor, make_page
from modern.services.ports import MessageStore, RoomStore, UserStore
from modern.wire import now_ms

ROOM_CURSOR = ("datetime?", "id")
MESSAGE_CURSOR = ("datetime", "id")


def room_key(room: Room) -> Key:
    """Rooms are listed by `last_message_at` descending (none last), ties by id."""
    return (room["last_message_at"], room["id"])


def history_page(messages: MessageStore, room: Room, cursor: str | None, limit: int) -> Page[Any]:
    """The newest `limit` messages before the cursor, oldest first; `next` goes older."""
    before = decode_cursor(cursor, MESSAGE_CURSOR)
    rows = messages.newest_page(room, before, limit + 1)
    page = make_page(rows, limit, lambda m: (m["created_at"], m["id"]))
    return Page(page.items[::-1], page.next_cursor)


class RoomsService:
    """Parameters: rooms, users, messages — the stores."""

    def __init__(self, rooms: RoomStore, users: UserStore, messages: MessageStore) -> None:
        self._rooms = rooms
        self._users = users
        self._messages = messages

    def get(self, room_id: str) -> Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise NotFound(f"no room {room_id!r}")
        return room

    def list(self, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
        after = decode_cursor(cursor, ROOM_CURSOR)
        page = make_page(self._rooms.list_page(None, after, limit + 1), limit, room_key)
        counts = self._messages.counts(page.items)
        members = members_by_room(self._users, page.items)
        items = [
            {**room, "members": members[room["id"]], "message_count": counts.get(room["id"], 0)}
            for room in page.items
        ]
        return Page(items, page.next_cursor)

    def create(self, owner_id: str, name: str, topic: str | None) -> Room:
        return self._rooms.insert(name=name, topic=topic, owner_id=owner_id, now=now_ms())

    def detail(self, room_id: str, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
        """A one-item page: the room with members and its newest messages."""
        room = self.get(room_id)
        history = history_page(self._messages, room, cursor, limit)
        members = members_by_room(self._users, [room])[room["id"]]
        item = {**room, "members": members, "messages": history.items}
        return Page([item], history.next_cursor)

    def join(self, room_id: str, user_id: str) -> Room:
        room = self.get(room_id)
        if user_id in room["member_ids"]:
            return room
        return self._found(self._rooms.add_member(room_id, user_id), room_id)

    def leave(self, room_id: str, user_id: str) -> Room:
        room = self.get(room_id)
        if user_id not in room["member_ids"]:
            return room
        return self._found(self._rooms.remove_member(room_id, user_id), room_id)

    @staticmethod
    def _found(room: Room | None, room_id: str) -> Room:
        if room is None:
            raise NotFound(f"no room {room_id!r}")
        return room
