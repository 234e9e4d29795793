"""The home page, bounded: 20 of the caller's rooms with their 3 latest messages,
10 suggested rooms (most members first) and 10 recently seen users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modern.domain import Room, User
from modern.services.ports import MessageStore, RenderedViews, RoomStore, UserStore

HOME_ROOMS = 20
HOME_LATEST_MESSAGES = 3
HOME_SUGGESTED_ROOMS = 10
HOME_RECENT_USERS = 10


@dataclass(frozen=True)
class HomeService:
    """Parameters: users, rooms, messages — the stores (their caches sit behind them);
    views — the read model: the caller's room order and each room's home item."""

    users: UserStore
    rooms: RoomStore
    messages: MessageStore
    views: RenderedViews

    def home(self, user: User) -> dict[str, Any]:
        """The page's parts; `rooms` may be renderings (see `RenderedViews`)."""
        return {
            "user": user,
            "rooms": self.views.home_rooms(
                self.rooms,
                user["id"],
                lambda: self.rooms.list_page(user["id"], None, HOME_ROOMS),
                self._with_latest,
            ),
            "suggested_rooms": self.rooms.popular(user["id"], HOME_SUGGESTED_ROOMS),
            "recent_users": self.users.recent(HOME_RECENT_USERS),
        }

    def _with_latest(self, rooms: list[Room]) -> list[dict[str, Any]]:
        return [
            {**room, "latest_messages": self.messages.latest(room, HOME_LATEST_MESSAGES)}
            for room in rooms
        ]
