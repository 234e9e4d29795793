"""The home page, bounded: 20 of the caller's rooms with their 3 latest messages,
10 suggested rooms (most members first) and 10 recently seen users."""

from __future__ import annotations

from typing import Any

from modern.domain import Room, User
from modern.services.ports import MessageStore, RoomStore, UserStore
from modern.services.views import Views, home_group, order_of

HOME_ROOMS = 20
HOME_LATEST_MESSAGES = 3
HOME_SUGGESTED_ROOMS = 10
HOME_RECENT_USERS = 10


class HomeService:
    """Parameters: users, rooms, messages — the stores (the cache sits behind them);
    views — rendered-view cache: the caller's room order and each room's home item."""

    def __init__(
        self,
        users: UserStore,
        rooms: RoomStore,
        messages: MessageStore,
        views: Views | None = None,
    ) -> None:
        self._users = users
        self._rooms = rooms
        self._messages = messages
        self._views = views or Views()

    def home(self, user: User) -> dict[str, Any]:
        loaded: dict[str, Room] = {}

        def load_order() -> list[tuple[str, str]]:
            rooms = self._rooms.list_page(user["id"], None, HOME_ROOMS)
            loaded.update((room["id"], room) for room in rooms)
            return order_of(rooms)

        order = self._views.json((home_group(user["id"]), "rooms"), load_order)
        return {
            "user": user,
            "rooms": self._views.rooms(self._rooms, order, "home", self._with_latest, loaded),
            "suggested_rooms": self._rooms.popular(user["id"], HOME_SUGGESTED_ROOMS),
            "recent_users": self._users.recent(HOME_RECENT_USERS),
        }

    def _with_latest(self, rooms: list[Room]) -> list[dict[str, Any]]:
        return [
            {**room, "latest_messages": self._messages.latest(room, HOME_LATEST_MESSAGES)}
            for room in rooms
        ]
