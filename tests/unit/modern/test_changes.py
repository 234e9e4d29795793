"""The change feed's translation of events into domain changes, and the views each drops."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from modern.domain import MessageWritten, RoomWritten, UserWritten
from modern.repositories.changes import to_change
from modern.services.changes import ChangeRules
from modern.services.views import ROOM_ORDER, SEARCH, USERS, Views, home_group, room_group
from tests.unit.modern.fakes import FakeRooms
from tests.unit.modern.test_views import DictViews

A, B, C = ObjectId(), ObjectId(), ObjectId()


def _event(coll: str, op: str, key: Any, doc: Any = None, before: Any = None) -> dict[str, Any]:
    event = {"ns": {"db": "social", "coll": coll}, "operationType": op, "documentKey": {"_id": key}}
    return {**event, "fullDocument": doc, "fullDocumentBeforeChange": before}


def test_events_become_domain_changes() -> None:
    assert to_change(_event("users", "insert", A, {"_id": A})) == UserWritten(str(A), True)
    assert to_change(_event("users", "update", A, {"_id": A})) == UserWritten(str(A), False)
    message = _event("messages", "update", C, {"_id": C, "room_id": B})
    assert to_change(message) == MessageWritten(str(B))
    assert to_change(_event("messages", "update", C, None)) is None  # gone since: nothing
    assert to_change(_event("sessions", "insert", C, {"_id": C})) is None


def test_a_room_change_names_who_joined_or_left_from_its_before_and_after_images() -> None:
    room = {"_id": C, "owner_id": A, "member_ids": [A, B]}
    created = to_change(_event("rooms", "insert", C, room))
    assert created == RoomWritten(str(C), True, str(A), frozenset({str(A), str(B)}),
                                  frozenset({str(A), str(B)}))  # fmt: skip
    left = to_change(_event("rooms", "update", C, {**room, "member_ids": [A]}, before=room))
    assert isinstance(left, RoomWritten)
    assert (left.members, left.moved) == (frozenset({str(A)}), frozenset({str(B)}))
    touched = to_change(_event("rooms", "update", C, room, before=room))
    assert isinstance(touched, RoomWritten) and touched.moved == frozenset()
    # Without a pre-image a leaver is unknown: only the members now are named.
    blind = to_change(_event("rooms", "update", C, {**room, "member_ids": [A]}))
    assert isinstance(blind, RoomWritten) and blind.moved == frozenset({str(A)})


def test_each_change_drops_what_the_same_write_through_modern_would() -> None:
    cache, rooms = DictViews(), FakeRooms()
    mine = rooms.insert(name="r", topic=None, owner_id="u1", now=None)  # type: ignore[arg-type]
    rules = ChangeRules(Views(cache), rooms)

    def dropped(change: Any) -> set[str]:
        cache.dropped.clear()
        rules(change)
        return set(cache.dropped)

    assert dropped(MessageWritten("r9")) == {room_group("r9")}
    moved = RoomWritten("r9", False, "u1", frozenset({"u1"}), frozenset({"u2"}))
    assert dropped(moved) == {room_group("r9"), ROOM_ORDER, home_group("u1"), home_group("u2")}
    created = RoomWritten("r8", True, "u1", frozenset({"u1"}), frozenset({"u1"}))
    assert dropped(created) == {ROOM_ORDER, home_group("u1"), SEARCH}
    assert dropped(UserWritten("u5", True)) == {SEARCH, USERS}
    assert dropped(UserWritten("u1", False)) == {SEARCH, USERS, room_group(mine["id"])}
