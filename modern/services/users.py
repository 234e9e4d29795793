"""Users: the directory, one profile, the caller's own profile and a user's rooms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modern.domain import Room, User
from modern.errors import NotFound
from modern.services.pagination import Page, decode_cursor, make_page
from modern.services.ports import RoomStore, UserStore
from modern.services.rooms import room_key
from modern.services.views import USERS, Views, home_group, order_of

# A member's rooms are read whole anyway (see MongoRooms._member_page).
ALL_ROOMS = 1_000_000


class UsersService:
    """Parameters: users, rooms — the stores; views — rendered-view cache."""

    def __init__(self, users: UserStore, rooms: RoomStore, views: Views | None = None) -> None:
        self._users = users
        self._rooms = rooms
        self._views = views or Views()

    def list(self, cursor: str | None, limit: int) -> Page[Any]:
        """Username order; each page is a rendered view until a registration or a
        profile change."""
        after = decode_cursor(cursor, ["str"])

        def load() -> tuple[Any, str | None]:
            rows = self._users.list_page(after[0] if after else None, limit + 1)
            page = make_page(rows, limit, lambda user: (user["username"],))
            return page.items, page.next_cursor

        items, next_cursor = self._views.paged((USERS, f"{limit}:{cursor or ''}"), load)
        return Page(items, next_cursor)

    def get(self, user_id: str) -> User:
        user = self._users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id!r}")
        return user

    def update_me(self, user_id: str, changes: Mapping[str, Any]) -> User:
        """Only the keys present change; an empty change set returns the user as is."""
        user = self._users.update(user_id, changes) if changes else self._users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id!r}")
        if changes:
            profile_changed(self._views, self._rooms, user_id)
        return user

    def rooms_of(self, user_id: str, cursor: str | None, limit: int) -> Page[Any]:
        """The user's rooms: the page's order lives with the user's home views (the same
        writes change it), each plain room is a view of its room."""
        after = decode_cursor(cursor, ["datetime?", "id"])
        self.get(user_id)
        loaded: dict[str, Room] = {}

        def load_order() -> dict[str, Any]:
            page = make_page(self._rooms.list_page(user_id, after, limit + 1), limit, room_key)
            loaded.update((room["id"], room) for room in page.items)
            return {"rows": order_of(page.items), "next": page.next_cursor}

        key = (home_group(user_id), f"page:{limit}:{cursor or ''}")
        order = self._views.json(key, load_order)
        items = self._views.rooms(self._rooms, order["rows"], "plain", list, loaded)
        return Page(items, order["next"])


def profile_changed(views: Views, rooms: RoomStore, user_id: str) -> None:
    """Drop the views that show this user's profile: their rooms' members, search."""
    views.profile_changed(room["id"] for room in rooms.list_page(user_id, None, ALL_ROOMS))
