"""Room bodies and replies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from modern.schemas.base import ObjectIdStr, Strict, Timestamp
from modern.schemas.messages import MessagePublic
from modern.schemas.users import UserPublic


class RoomCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    topic: Annotated[str, Field(max_length=300)] | None = None


class RoomPublic(Strict):
    id: ObjectIdStr
    name: str
    topic: str | None
    owner_id: ObjectIdStr
    member_ids: list[ObjectIdStr]
    created_at: Timestamp | None  # null: stored without a date (legacy's data)
    last_message_at: Timestamp | None


class RoomSummary(RoomPublic):
    """An item of GET /api/rooms."""

    members: list[UserPublic]
    message_count: int


class RoomDetail(RoomPublic):
    """GET /api/rooms/{room_id}: the newest page of messages, oldest first."""

    members: list[UserPublic]
    messages: list[MessagePublic]
