"""The home page and search replies."""

from __future__ import annotations

from modern.schemas.base import Strict
from modern.schemas.messages import MessagePublic
from modern.schemas.rooms import RoomPublic
from modern.schemas.users import UserPublic


class HomeRoom(RoomPublic):
    latest_messages: list[MessagePublic]


class HomePublic(Strict):
    user: UserPublic
    rooms: list[HomeRoom]
    suggested_rooms: list[RoomPublic]
    recent_users: list[UserPublic]


class SearchPublic(Strict):
    users: list[UserPublic]
    rooms: list[RoomPublic]
