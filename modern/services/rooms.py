"""Rooms: listing with members and counts, creation, detail with history, join, leave."""

from __future__ import annotations

import builtins  # `RoomsService.list` shadows the builtin inside the class
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modern.clock import now_ms
from modern.domain import Key, Room, RoomRef
from modern.errors import NotFound
from modern.services.members import members_by_room
from modern.services.pagination import Kind, Page, decode_cursor, make_page
from modern.services.ports import MessageStore, RenderedViews, RoomStore, UserStore

ROOM_CURSOR: tuple[Kind, ...] = ("datetime?", "id")
MESSAGE_CURSOR: tuple[Kind, ...] = ("datetime?", "id")  # a message stored without a date: None


def room_key(room: Room) -> Key:
    """Rooms are listed by `last_message_at` descending (none last), ties by id."""
    return (room["last_message_at"], room["id"])


def rooms_loader(
    rooms: RoomStore, member_id: str | None, cursor: str | None, limit: int
) -> Callable[[], tuple[builtins.list[Room], str | None]]:
    """How to read a page of rooms by activity (all rooms, or `member_id`'s) and its
    next cursor. The cursor is decoded now: a bad one is a 400 before any view is read."""
    after = decode_cursor(cursor, ROOM_CURSOR)

    def load() -> tuple[builtins.list[Room], str | None]:
        page = make_page(rooms.list_page(member_id, after, limit + 1), limit, room_key)
        return page.items, page.next_cursor

    return load


def history_page(
    messages: MessageStore, views: RenderedViews, room: RoomRef, cursor: str | None, limit: int
) -> Page[Any]:
    """The newest `limit` messages before the cursor, oldest first; `next` goes older.
    The page is one view of the room (dropped by any write to its messages)."""
    before = decode_cursor(cursor, MESSAGE_CURSOR)

    def load() -> tuple[builtins.list[Any], str | None]:
        rows = messages.newest_page(room, before, limit + 1)
        page = make_page(rows, limit, lambda m: (m["created_at"], m["id"]))
        return page.items[::-1], page.next_cursor

    items, next_cursor = views.history(room, limit, cursor, load)
    return Page(items, next_cursor)


@dataclass(frozen=True)
class RoomsService:
    """Parameters: rooms, users, messages — the stores; views — the read model."""

    rooms: RoomStore
    users: UserStore
    messages: MessageStore
    views: RenderedViews

    def get(self, room_id: str) -> Room:
        return self._found(self.rooms.get(room_id), room_id)

    def list(self, cursor: str | None, limit: int) -> Page[Any]:
        """Rooms by activity with members and counts: the page's order and each room's
        summary are views, so only rooms changed since are rebuilt."""
        load = rooms_loader(self.rooms, None, cursor, limit)
        items, next_cursor = self.views.room_list(self.rooms, limit, cursor, load, self._summaries)
        return Page(items, next_cursor)

    def _summaries(self, rooms: builtins.list[Room]) -> builtins.list[dict[str, Any]]:
        counts = self.messages.counts(rooms)
        members = members_by_room(self.users, rooms)
        return [
            {**room, "members": members[room["id"]], "message_count": counts.get(room["id"], 0)}
            for room in rooms
        ]

    def create(self, owner_id: str, name: str, topic: str | None) -> Room:
        room = self.rooms.insert(name=name, topic=topic, owner_id=owner_id, now=now_ms())
        self.views.room_created(owner_id)
        return room

    def detail(self, room_id: str, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
        """A one-item page: the room with members and its newest messages."""
        room = self.get(room_id)
        history = history_page(self.messages, self.views, room, cursor, limit)
        members = self.views.members(
            room_id, lambda: members_by_room(self.users, [room])[room["id"]]
        )
        item = {**room, "members": members, "messages": history.items}
        return Page([item], history.next_cursor)

    def join(self, room_id: str, user_id: str) -> Room:
        room = self.get(room_id)
        if user_id in room["member_ids"]:
            return room
        joined = self.rooms.add_member(room_id, user_id)
        self.views.membership_changed(room_id, user_id)
        return self._found(joined, room_id)

    def leave(self, room_id: str, user_id: str) -> Room:
        room = self.get(room_id)
        if user_id not in room["member_ids"]:
            return room
        left = self.rooms.remove_member(room_id, user_id)
        self.views.membership_changed(room_id, user_id)
        return self._found(left, room_id)

    @staticmethod
    def _found(room: Room | None, room_id: str) -> Room:
        if room is None:
            raise NotFound(f"no room {room_id!r}")
        return room
