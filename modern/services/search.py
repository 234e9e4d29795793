"""Search: users by username/display_name, rooms by name/topic; q is literal text."""

from __future__ import annotations

from typing import Any

from modern.domain import Key
from modern.services.pagination import Kind, decode_cursor, encode_cursor
from modern.services.ports import RoomStore, UserStore
from modern.services.views import SEARCH, Views

SEARCH_CURSOR: tuple[Kind, ...] = ("str?", "str?", "id?")


class SearchService:
    """Parameters: users, rooms — the stores.

    Both lists are bounded by `limit`; one cursor carries where each stopped (None for
    a list already exhausted), so the next page continues both. Replies are cached
    rendered (views) until a registration, profile change or new room.
    """

    def __init__(self, users: UserStore, rooms: RoomStore, views: Views | None = None) -> None:
        self._users = users
        self._rooms = rooms
        self._views = views or Views()

    def search(self, q: str | None, cursor: str | None, limit: int) -> tuple[Any, str | None]:
        position = decode_cursor(cursor, SEARCH_CURSOR)
        if not q:
            return {"users": [], "rooms": []}, None
        key = (SEARCH, f"{limit}:{cursor or ''}:{q}")
        return self._views.paged(key, lambda: self._search(q, position, limit))

    def _search(
        self, q: str, position: Key | None, limit: int
    ) -> tuple[dict[str, Any], str | None]:
        users: list[Any] = []
        rooms: list[Any] = []
        if position is None or position[0] is not None:
            users = self._users.search(q, position[0] if position else None, limit + 1)
        if position is None or position[1] is not None:
            after = (position[1], position[2]) if position else None
            rooms = self._rooms.search(q, after, limit + 1)
        more_users, more_rooms = len(users) > limit, len(rooms) > limit
        users, rooms = users[:limit], rooms[:limit]
        next_cursor = None
        if more_users or more_rooms:
            next_cursor = encode_cursor(
                (
                    users[-1]["username"] if more_users else None,
                    rooms[-1]["name"] if more_rooms else None,
                    rooms[-1]["id"] if more_rooms else None,
                )
            )
        return {"users": users, "rooms": rooms}, next_cursor
