"""Attaching user objects to rooms with one `$in` lookup per request (no N+1)."""

from __future__ import annotations

from collections.abc import Iterable

from modern.domain import Room, User
from modern.services.ports import UserStore


def user_order(user: User) -> tuple[str, str]:
    """Users are listed by username, ties by id (binary code-point order)."""
    return (user["username"], user["id"])


def members_by_room(users: UserStore, rooms: Iterable[Room]) -> dict[str, list[User]]:
    """Each room's members as user objects in username order, from one batched lookup."""
    rooms = list(rooms)
    wanted = list(dict.fromkeys(uid for room in rooms for uid in room["member_ids"]))
    found = users.get_many(wanted) if wanted else {}
    return {
        room["id"]: sorted(
            (found[uid] for uid in room["member_ids"] if uid in found), key=user_order
        )
        for room in rooms
    }
