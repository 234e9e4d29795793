"""The home page, bounded: 20 of the caller's rooms with their 3 latest messages,
10 suggested rooms (most members first) and 10 recently seen users."""

from __future__ import annotations

from typing import Any

from modern.domain import User
from modern.services.ports import MessageStore, RoomStore, UserStore

HOME_ROOMS = 20
HOME_LATEST_MESSAGES = 3
HOME_SUGGESTED_ROOMS = 10
HOME_RECENT_USERS = 10


class HomeService:
    """Parameters: users, rooms, messages — the stores (the cache sits behind them)."""

    def __init__(self, users: UserStore, rooms: RoomStore, messages: MessageStore) -> None:
        self._users = users
        self._rooms = rooms
        self._messages = messages

    def home(self, user: User) -> dict[str, Any]:
        rooms = self._rooms.list_page(user["id"], None, HOME_ROOMS)
        return {
            "user": user,
            "rooms": [
                {**room, "latest_messages": self._messages.latest(room, HOME_LATEST_MESSAGES)}
                for room in rooms
            ],
            "suggested_rooms": self._rooms.popular(user["id"], HOME_SUGGESTED_ROOMS),
            "recent_users": self._users.recent(HOME_RECENT_USERS),
        }
