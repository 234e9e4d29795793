"""Rooms: listing with members and counts, creation, detail with history, join, leave."""

from __future__ import annotations

import builtins  # `RoomsService.list` shadows the builtin inside the class
from typing import Any

from modern.domain import Key, Room, RoomRef
from modern.errors import NotFound
from modern.services.members import members_by_room
from modern.services.pagination import Kind, Page, decode_cursor, make_page
from modern.services.ports import MessageStore, RoomStore, UserStore
from modern.services.views import ROOM_ORDER, Views, order_of, room_group, stamp
from modern.wire import now_ms

ROOM_CURSOR: tuple[Kind, ...] = ("datetime?", "id")
MESSAGE_CURSOR: tuple[Kind, ...] = ("datetime?", "id")  # a message stored without a date: None


def room_key(room: Room) -> Key:
    """Rooms are listed by `last_message_at` descending (none last), ties by id."""
    return (room["last_message_at"], room["id"])


def history_page(
    messages: MessageStore, views: Views, room: RoomRef, cursor: str | None, limit: int
) -> Page[Any]:
    """The newest `limit` messages before the cursor, oldest first; `next` goes older.
    The page is one rendered view of the room (dropped by any write to its messages)."""
    before = decode_cursor(cursor, MESSAGE_CURSOR)

    def load() -> tuple[list[Any], str | None]:
        rows = messages.newest_page(room, before, limit + 1)
        page = make_page(rows, limit, lambda m: (m["created_at"], m["id"]))
        return page.items[::-1], page.next_cursor

    at = stamp(room["last_message_at"])
    key = (room_group(room["id"]), f"history:{at}:{limit}:{cursor or ''}")
    items, next_cursor = views.paged(key, load)
    return Page(items, next_cursor)


class RoomsService:
    """Parameters: rooms, users, messages — the stores; views — rendered-view cache."""

    def __init__(
        self,
        rooms: RoomStore,
        users: UserStore,
        messages: MessageStore,
        views: Views | None = None,
    ) -> None:
        self._rooms = rooms
        self._users = users
        self._messages = messages
        self._views = views or Views()

    def get(self, room_id: str) -> Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise NotFound(f"no room {room_id!r}")
        return room

    def list(self, cursor: str | None, limit: int) -> Page[Any]:
        """Rooms by activity with members and counts: the page's order and each room's
        rendered summary are views, so only rooms changed since are rebuilt."""
        after = decode_cursor(cursor, ROOM_CURSOR)
        loaded: dict[str, Room] = {}

        def load_order() -> dict[str, Any]:
            page = make_page(self._rooms.list_page(None, after, limit + 1), limit, room_key)
            loaded.update((room["id"], room) for room in page.items)
            return {"rows": order_of(page.items), "next": page.next_cursor}

        order = self._views.json((ROOM_ORDER, f"{limit}:{cursor or ''}"), load_order)
        items = self._views.rooms(self._rooms, order["rows"], "summary", self._summaries, loaded)
        return Page(items, order["next"])

    def _summaries(self, rooms: builtins.list[Room]) -> builtins.list[dict[str, Any]]:
        counts = self._messages.counts(rooms)
        members = members_by_room(self._users, rooms)
        return [
            {**room, "members": members[room["id"]], "message_count": counts.get(room["id"], 0)}
            for room in rooms
        ]

    def create(self, owner_id: str, name: str, topic: str | None) -> Room:
        room = self._rooms.insert(name=name, topic=topic, owner_id=owner_id, now=now_ms())
        self._views.room_created(owner_id)
        return room

    def detail(self, room_id: str, cursor: str | None, limit: int) -> Page[dict[str, Any]]:
        """A one-item page: the room with members and its newest messages."""
        room = self.get(room_id)
        history = history_page(self._messages, self._views, room, cursor, limit)
        (members,) = self._views.rendered(
            [(room_group(room_id), "members")],
            lambda _: {0: members_by_room(self._users, [room])[room["id"]]},
        )
        item = {**room, "members": members, "messages": history.items}
        return Page([item], history.next_cursor)

    def join(self, room_id: str, user_id: str) -> Room:
        room = self.get(room_id)
        if user_id in room["member_ids"]:
            return room
        joined = self._rooms.add_member(room_id, user_id)
        self._views.membership_changed(room_id, user_id)
        return self._found(joined, room_id)

    def leave(self, room_id: str, user_id: str) -> Room:
        room = self.get(room_id)
        if user_id not in room["member_ids"]:
            return room
        left = self._rooms.remove_member(room_id, user_id)
        self._views.membership_changed(room_id, user_id)
        return self._found(left, room_id)

    @staticmethod
    def _found(room: Room | None, room_id: str) -> Room:
        if room is None:
            raise NotFound(f"no room {room_id!r}")
        return room
