"""Search: users by username/display_name, rooms by name/topic; q is literal text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modern.domain import Key
from modern.services.pagination import Kind, decode_cursor, encode_cursor
from modern.services.ports import RenderedViews, RoomStore, UserStore

SEARCH_CURSOR: tuple[Kind, ...] = ("str?", "str?", "id?")


@dataclass(frozen=True)
class SearchService:
    """Parameters: users, rooms — the stores; views — the read model.

    Both lists are bounded by `limit`; one cursor carries where each stopped (None for
    a list already exhausted), so the next page continues both. Replies are cached
    rendered (views) until a registration, profile change or new room.
    """

    users: UserStore
    rooms: RoomStore
    views: RenderedViews

    def search(self, q: str | None, cursor: str | None, limit: int) -> tuple[Any, str | None]:
        position = decode_cursor(cursor, SEARCH_CURSOR)
        if not q:
            return {"users": [], "rooms": []}, None
        return self.views.search(q, limit, cursor, lambda: self._search(q, position, limit))

    def _search(
        self, q: str, position: Key | None, limit: int
    ) -> tuple[dict[str, Any], str | None]:
        users: list[Any] = []
        rooms: list[Any] = []
        if position is None or position[0] is not None:
            users = self.users.search(q, position[0] if position else None, limit + 1)
        if position is None or position[1] is not None:
            after = (position[1], position[2]) if position else None
            rooms = self.rooms.search(q, after, limit + 1)
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
