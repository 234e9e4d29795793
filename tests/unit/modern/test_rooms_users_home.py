from __future__ import annotations

import pytest

from modern.errors import BadRequest, NotFound
from modern.services.home import HOME_RECENT_USERS, HOME_SUGGESTED_ROOMS
from tests.unit.modern.conftest import World


def test_join_and_leave_are_idempotent_and_owner_stays(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    room = world.svc.rooms.create(alice["id"], "general", "topic")
    assert room["member_ids"] == [alice["id"]] and room["last_message_at"] is None
    assert world.svc.rooms.join(room["id"], bob["id"])["member_ids"] == [alice["id"], bob["id"]]
    assert world.svc.rooms.join(room["id"], bob["id"])["member_ids"] == [alice["id"], bob["id"]]
    left = world.svc.rooms.leave(room["id"], alice["id"])
    assert left["member_ids"] == [bob["id"]] and left["owner_id"] == alice["id"]
    assert world.svc.rooms.leave(room["id"], alice["id"])["member_ids"] == [bob["id"]]
    with pytest.raises(NotFound):
        world.svc.rooms.join("f" * 24, bob["id"])


def test_room_list_attaches_members_in_one_lookup_and_counts(world: World) -> None:
    zed, amy = world.user("zed"), world.user("amy")
    quiet = world.svc.rooms.create(zed["id"], "quiet", None)
    busy = world.svc.rooms.create(zed["id"], "busy", None)
    world.svc.rooms.join(busy["id"], amy["id"])
    world.svc.messages.post(busy["id"], amy, "hi")
    world.svc.messages.delete(world.svc.messages.post(busy["id"], zed, "x")["id"], zed)
    world.users.get_many_calls = 0
    page = world.svc.rooms.list(None, 50)
    assert [r["id"] for r in page.items] == [busy["id"], quiet["id"]]
    assert [m["username"] for m in page.items[0]["members"]] == ["amy", "zed"]
    assert page.items[0]["message_count"] == 2 and page.items[1]["message_count"] == 0
    assert world.users.get_many_calls == 1


def test_user_list_pages_by_username(world: World) -> None:
    for name in ["dave", "bob", "carl", "anna", "eve"]:
        world.user(name)
    first = world.svc.users.list(None, 2)
    assert [u["username"] for u in first.items] == ["anna", "bob"]
    rest = world.svc.users.list(first.next_cursor, 10)
    assert [u["username"] for u in rest.items] == ["carl", "dave", "eve"]
    assert rest.next_cursor is None
    with pytest.raises(BadRequest):
        world.svc.users.list("%%%", 2)
    with pytest.raises(BadRequest):  # a cursor of another list's shape
        world.svc.rooms.list(first.next_cursor, 2)


def test_unknown_user_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.svc.users.get("nope")
    with pytest.raises(NotFound):
        world.svc.users.rooms_of("a" * 24, None, 10)


def test_home_is_bounded_and_split(world: World) -> None:
    me = world.user("me")
    others = [world.user(f"u{i:02d}") for i in range(HOME_RECENT_USERS + 2)]
    mine = world.svc.rooms.create(me["id"], "mine", None)
    for i in range(5):
        world.svc.messages.post(mine["id"], me, f"m{i}")
    for i in range(HOME_SUGGESTED_ROOMS + 2):
        world.svc.rooms.create(others[i]["id"], f"other{i}", None)
    home = world.svc.home.home(me)
    assert home["user"]["id"] == me["id"]
    assert [r["id"] for r in home["rooms"]] == [mine["id"]]
    assert [m["text"] for m in home["rooms"][0]["latest_messages"]] == ["m2", "m3", "m4"]
    assert len(home["suggested_rooms"]) == HOME_SUGGESTED_ROOMS
    assert all(me["id"] not in r["member_ids"] for r in home["suggested_rooms"])
    assert len(home["recent_users"]) == HOME_RECENT_USERS


def test_search_is_literal_and_pages_both_lists(world: World) -> None:
    for name in ["al.ice", "alfred", "xalx", "bob"]:
        world.user(name)
    owner = world.users.find_credentials("bob")[0]  # type: ignore[index]
    world.svc.rooms.create(owner["id"], "Algebra", None)
    world.svc.rooms.create(owner["id"], "misc", "all things")
    assert world.svc.search.search("", None, 10) == ({"users": [], "rooms": []}, None)
    results, cursor = world.svc.search.search("AL", None, 2)
    assert [u["username"] for u in results["users"]] == ["al.ice", "alfred"]
    assert [r["name"] for r in results["rooms"]] == ["Algebra", "misc"]
    assert cursor is not None
    more, end = world.svc.search.search("AL", cursor, 2)
    assert [u["username"] for u in more["users"]] == ["xalx"] and more["rooms"] == []
    assert end is None
    assert [u["username"] for u in world.svc.search.search(".", None, 10)[0]["users"]] == ["al.ice"]
