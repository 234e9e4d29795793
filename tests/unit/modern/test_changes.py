"""The change feed's translation of events into domain changes, and the views each drops."""

from __future__ import annotations

import time
from typing import Any

import pytest
from bson import ObjectId
from pymongo.errors import OperationFailure

from modern.domain import MessageWritten, RoomWritten, UserWritten
from modern.readmodel.views import ROOM_ORDER, SEARCH, USERS, Views, home_group, room_group
from modern.repositories import changes
from modern.repositories.changes import to_change
from modern.services.changes import ChangeRules
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


class ScriptedStream:
    """A change stream that hands out the given events, then nothing."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.resume_token = {"_data": "t"}

    def __enter__(self) -> ScriptedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def try_next(self) -> dict[str, Any] | None:
        if self.events:
            return self.events.pop(0)
        time.sleep(0.01)
        return None


class ScriptedDatabase:
    def __init__(self, events: list[dict[str, Any]] | None = None, refuse: bool = False) -> None:
        self.events, self.refuse = events or [], refuse

    def watch(self, *args: Any, **kwargs: Any) -> ScriptedStream:
        if self.refuse:
            raise OperationFailure(
                "The $changeStream stage is only supported on replica sets", 40573
            )
        return ScriptedStream(self.events)


def test_each_change_is_delivered_again_later_and_a_burst_only_once(monkeypatch: Any) -> None:
    monkeypatch.setattr(changes, "REDELIVER_AFTER_SECONDS", 0.2)
    post = _event("messages", "insert", C, {"_id": C, "room_id": B})
    other = _event("messages", "insert", A, {"_id": A, "room_id": A})
    seen: list[tuple[float, Any]] = []
    database: Any = ScriptedDatabase([post, post, other])
    feed = changes.MongoChangeFeed(database, [lambda c: seen.append((time.monotonic(), c))])
    feed.start()
    try:
        deadline = time.monotonic() + 5
        while len(seen) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        feed.stop()
    kinds = [change for _, change in seen]
    first, second = MessageWritten(str(B)), MessageWritten(str(A))
    assert kinds == [first, first, second, first, second]  # the burst of two: once more
    assert seen[3][0] - seen[0][0] >= 0.2


def test_a_failing_listener_does_not_stop_the_others(monkeypatch: Any) -> None:
    seen: list[Any] = []

    def broken(change: Any) -> None:
        raise RuntimeError("bug")

    event = _event("users", "insert", A, {"_id": A})
    feed = changes.MongoChangeFeed(ScriptedDatabase([event]), [broken, seen.append])  # type: ignore[arg-type]
    feed.start()
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.02)
    feed.stop()
    assert seen == [UserWritten(str(A), True)]


def test_without_change_streams_the_feed_stops_and_the_app_goes_on() -> None:
    feed = changes.MongoChangeFeed(ScriptedDatabase(refuse=True), [])  # type: ignore[arg-type]
    started = time.monotonic()
    feed.start()
    assert time.monotonic() - started < 2  # no waiting for a stream that will not open
    feed.stop()
    assert not feed.watching


class FlakyDatabase:
    """The first stream hands out one event then fails with `code`; later ones are quiet.
    Records the resume point each stream was opened with."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.opened_after: list[Any] = []

    def watch(self, *args: Any, resume_after: Any = None, **kwargs: Any) -> Any:
        self.opened_after.append(resume_after)
        if len(self.opened_after) > 1:
            return ScriptedStream([])
        stream = ScriptedStream([_event("users", "insert", A, {"_id": A})])
        events = stream.events

        def try_next() -> dict[str, Any] | None:
            if events:
                return events.pop(0)
            raise OperationFailure("interrupted", self.code)

        stream.try_next = try_next  # type: ignore[method-assign]
        return stream


@pytest.mark.parametrize(("code", "resumes_from"), [(286, None), (91, {"_data": "t"})])
def test_an_interrupted_stream_reopens_where_it_can(
    monkeypatch: Any, code: int, resumes_from: Any
) -> None:
    """A lost resume point (286) starts afresh; anything else resumes after the last event."""
    monkeypatch.setattr(changes, "RETRY_SECONDS", 0.01)
    database = FlakyDatabase(code)
    feed = changes.MongoChangeFeed(database, [])  # type: ignore[arg-type]
    feed.start()
    deadline = time.monotonic() + 5
    while len(database.opened_after) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    feed.stop()
    assert database.opened_after[:2] == [None, resumes_from]
