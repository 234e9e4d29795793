"""Users: the directory, one profile, the caller's own profile and a user's rooms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modern.domain import User
from modern.errors import NotFound
from modern.services.pagination import Page, decode_cursor, make_page
from modern.services.ports import RenderedViews, RoomStore, UserStore
from modern.services.rooms import rooms_loader

# A member's rooms are read whole anyway (see MongoRooms._member_page).
ALL_ROOMS = 1_000_000


@dataclass(frozen=True)
class UsersService:
    """Parameters: users, rooms — the stores; views — the read model."""

    users: UserStore
    rooms: RoomStore
    views: RenderedViews

    def list(self, cursor: str | None, limit: int) -> Page[Any]:
        """Username order; each page is a view until a registration or a profile change."""
        after = decode_cursor(cursor, ["str"])

        def load() -> tuple[Any, str | None]:
            rows = self.users.list_page(after[0] if after else None, limit + 1)
            page = make_page(rows, limit, lambda user: (user["username"],))
            return page.items, page.next_cursor

        items, next_cursor = self.views.users_page(limit, cursor, load)
        return Page(items, next_cursor)

    def get(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id!r}")
        return user

    def update_me(self, user_id: str, changes: Mapping[str, Any]) -> User:
        """Only the keys present change; an empty change set returns the user as is."""
        user = self.users.update(user_id, changes) if changes else self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id!r}")
        if changes:
            profile_changed(self.views, self.rooms, user_id)
        return user

    def rooms_of(self, user_id: str, cursor: str | None, limit: int) -> Page[Any]:
        """The user's rooms, by activity."""
        load = rooms_loader(self.rooms, user_id, cursor, limit)
        self.get(user_id)
        items, next_cursor = self.views.user_rooms(self.rooms, user_id, limit, cursor, load)
        return Page(items, next_cursor)


def profile_changed(views: RenderedViews, rooms: RoomStore, user_id: str) -> None:
    """Drop the views that show this user's profile: their rooms' members, search."""
    views.profile_changed(room["id"] for room in rooms.list_page(user_id, None, ALL_ROOMS))
