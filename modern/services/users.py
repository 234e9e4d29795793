"""Users: the directory, one profile, the caller's own profile and a user's rooms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modern.domain import Room, User
from modern.errors import NotFound
from modern.services.pagination import Page, decode_cursor, make_page
from modern.services.ports import RoomStore, UserStore
from modern.services.rooms import room_key


class UsersService:
    """Parameters: users, rooms — the stores."""

    def __init__(self, users: UserStore, rooms: RoomStore) -> None:
        self._users = users
        self._rooms = rooms

    def list(self, cursor: str | None, limit: int) -> Page[User]:
        after = decode_cursor(cursor, ["str"])
        rows = self._users.list_page(after[0] if after else None, limit + 1)
        return make_page(rows, limit, lambda user: (user["username"],))

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
        return user

    def rooms_of(self, user_id: str, cursor: str | None, limit: int) -> Page[Room]:
        after = decode_cursor(cursor, ["datetime?", "id"])
        self.get(user_id)
        rows = self._rooms.list_page(user_id, after, limit + 1)
        return make_page(rows, limit, room_key)
