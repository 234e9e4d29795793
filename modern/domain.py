"""The shapes passed between layers: plain dicts with string ids and aware datetimes.

Repositories build them from BSON documents; services read and return them; the API
renders them with `modern.wire`. The keys are exactly the wire fields, so rendering is
a timestamp conversion and nothing else. A timestamp is None where the stored value
is not a date (`modern.repositories.documents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict


class User(TypedDict):
    id: str
    username: str
    display_name: str | None
    bio: str | None
    avatar_url: str | None
    created_at: datetime | None
    last_seen_at: datetime | None


class Room(TypedDict):
    id: str
    name: str
    topic: str | None
    owner_id: str
    member_ids: list[str]
    created_at: datetime | None
    last_message_at: datetime | None


class Message(TypedDict):
    id: str
    room_id: str
    author_id: str
    text: str
    created_at: datetime | None
    edited_at: datetime | None
    deleted: bool
    reactions: dict[str, list[str]]


class RoomRef(TypedDict):
    """What history needs of a room: a Room without its (possibly long) member list."""

    id: str
    last_message_at: datetime | None


# A keyset position: the sort values of the last item a page returned.
Key = tuple[Any, ...]


# -- writes seen on the database's change stream (legacy's as well as ours) ---------------


@dataclass(frozen=True)
class UserWritten:
    """A user was registered (`created`) or their profile or `last_seen_at` changed."""

    user_id: str
    created: bool


@dataclass(frozen=True)
class RoomWritten:
    """A room was created or changed (joined, left, or its activity moved): `members`
    are its members now, `moved` the users who joined or left."""

    room_id: str
    created: bool
    owner_id: str | None = None
    members: frozenset[str] = frozenset()
    moved: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MessageWritten:
    """A message was posted, edited, deleted or reacted to (posting also moves its
    room's activity: that arrives as a RoomWritten)."""

    room_id: str


Change = UserWritten | RoomWritten | MessageWritten
