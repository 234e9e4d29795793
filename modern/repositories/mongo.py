"""pymongo plumbing shared by the repositories: id parsing, document mapping, error wrapping."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError as MongoDuplicateKeyError
from pymongo.errors import PyMongoError

from modern.domain import Message, Room, User
from modern.errors import DuplicateKeyError, StorageError

Document = dict[str, Any]
USER_PROJECTION = {"password_hash": 0}


def oid(value: str) -> ObjectId | None:
    """The ObjectId a string names, or None: an invalid id matches no document."""
    if not isinstance(value, str) or len(value) != 24:
        return None
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def oids(values: list[str] | tuple[str, ...]) -> list[ObjectId]:
    return [parsed for parsed in map(oid, values) if parsed is not None]


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Re-raise driver errors as ours, keeping the driver error as the cause."""
    try:
        yield
    except MongoDuplicateKeyError as exc:
        raise DuplicateKeyError(f"{action}: duplicate key") from exc
    except PyMongoError as exc:
        raise StorageError(f"{action}: {exc}") from exc


def to_user(doc: Mapping[str, Any]) -> User:
    return {
        "id": str(doc["_id"]),
        "username": doc["username"],
        "display_name": doc.get("display_name"),
        "bio": doc.get("bio"),
        "avatar_url": doc.get("avatar_url"),
        "created_at": doc["created_at"],
        "last_seen_at": doc.get("last_seen_at"),
    }


def to_room(doc: Mapping[str, Any]) -> Room:
    return {
        "id": str(doc["_id"]),
        "name": doc["name"],
        "topic": doc.get("topic"),
        "owner_id": str(doc["owner_id"]),
        "member_ids": [str(member) for member in doc.get("member_ids", [])],
        "created_at": doc["created_at"],
        "last_message_at": doc.get("last_message_at"),
    }


def to_message(doc: Mapping[str, Any]) -> Message:
    return {
        "id": str(doc["_id"]),
        "room_id": str(doc["room_id"]),
        "author_id": str(doc["author_id"]),
        "text": "" if doc.get("deleted") else doc.get("text", ""),
        "created_at": doc["created_at"],
        "edited_at": doc.get("edited_at"),
        "deleted": bool(doc.get("deleted", False)),
        "reactions": {emoji: list(ids) for emoji, ids in (doc.get("reactions") or {}).items()},
    }
