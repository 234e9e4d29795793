from __future__ import annotations

import pytest

from modern.errors import Forbidden, NotFound
from modern.services.messages import toggled
from tests.unit.modern.conftest import World


def test_only_members_may_post_and_posting_touches_the_room(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    room = world.svc.rooms.create(alice["id"], "general", None)
    with pytest.raises(Forbidden):
        world.svc.messages.post(room["id"], bob, "hi")
    message = world.svc.messages.post(room["id"], alice, "hi")
    assert world.rooms.rows[room["id"]]["last_message_at"] == message["created_at"]
    assert world.events.sent[-1][1]["type"] == "message.created"
    assert world.events.sent[-1][1]["message"]["id"] == message["id"]


def test_post_to_unknown_room_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.svc.messages.post("0" * 24, world.user("alice"), "hi")


def test_edit_and_delete_are_for_the_author_and_deleted_is_gone(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    room = world.svc.rooms.create(alice["id"], "general", None)
    message = world.svc.messages.post(room["id"], alice, "hi")
    with pytest.raises(Forbidden):
        world.svc.messages.edit(message["id"], bob, "hacked")
    edited = world.svc.messages.edit(message["id"], alice, "hello")
    assert edited["text"] == "hello" and edited["edited_at"] is not None
    assert world.rooms.rows[room["id"]]["last_message_at"] == message["created_at"]
    with pytest.raises(Forbidden):
        world.svc.messages.delete(message["id"], bob)
    world.svc.messages.delete(message["id"], alice)
    assert world.events.sent[-1][1]["type"] == "message.deleted"
    assert world.messages.rows[message["id"]]["text"] == ""
    for attempt in (
        lambda: world.svc.messages.edit(message["id"], alice, "again"),
        lambda: world.svc.messages.delete(message["id"], alice),
        lambda: world.svc.messages.react(message["id"], bob, "x"),
        lambda: world.svc.messages.edit(message["id"], bob, "again"),  # 404 before 403
    ):
        with pytest.raises(NotFound):
            attempt()


def test_reactions_toggle_in_order_and_empty_emoji_disappears(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    room = world.svc.rooms.create(alice["id"], "general", None)
    message = world.svc.messages.post(room["id"], alice, "hi")
    world.svc.messages.react(message["id"], bob, "👍")
    after = world.svc.messages.react(message["id"], alice, "👍")
    assert after["reactions"] == {"👍": [bob["id"], alice["id"]]}
    event = world.events.sent[-1][1]
    assert (event["type"], event["user_id"], event["emoji"]) == (
        "reaction.toggled", alice["id"], "👍",
    )  # fmt: skip
    world.svc.messages.react(message["id"], bob, "👍")
    final = world.svc.messages.react(message["id"], alice, "👍")
    assert final["reactions"] == {}


def test_toggled_does_not_mutate_its_input() -> None:
    original = {"a": ["u1"]}
    assert toggled(original, "a", "u2") == {"a": ["u1", "u2"]}
    assert toggled(original, "a", "u1") == {}
    assert original == {"a": ["u1"]}


def test_history_pages_go_older_and_stay_oldest_first(world: World) -> None:
    alice = world.user("alice")
    room = world.svc.rooms.create(alice["id"], "general", None)
    posted = [world.svc.messages.post(room["id"], alice, f"m{i}")["id"] for i in range(5)]
    first = world.svc.messages.history(room["id"], None, 2)
    assert [m["id"] for m in first.items] == posted[3:]
    second = world.svc.messages.history(room["id"], first.next_cursor, 2)
    assert [m["id"] for m in second.items] == posted[1:3]
    last = world.svc.messages.history(room["id"], second.next_cursor, 2)
    assert [m["id"] for m in last.items] == posted[:1] and last.next_cursor is None
