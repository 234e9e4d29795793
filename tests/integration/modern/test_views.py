"""Rendered views (modern.readmodel.views): every cached page is fresh after the write
through modern that changes it.

Each test reads first (so the view exists in Redis: checked), writes, reads again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from tests.integration.modern.client import PASSWORD, Account, Api
from tests.integration.modern.conftest import MODERN, modern_env
from tests.support.servers import run_app


@pytest.fixture
def views(redis_url: str, module_prefix: str) -> Iterator[Any]:
    """`views(group)` is True when the rendered-view group exists in Redis."""
    client = redis.Redis.from_url(redis_url)
    try:
        yield lambda group: bool(client.exists(f"{module_prefix}cache:view:{group}"))
    finally:
        client.close()


def _listed(api: Api, who: Account, room_id: str) -> dict[str, Any]:
    rooms = api.get(who, "/api/rooms", limit=100).json()
    return next(room for room in rooms if room["id"] == room_id)


def _texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


def test_room_summaries_follow_posts_joins_profiles_and_leaves(api: Api, views: Any) -> None:
    alice, bob = api.register("va"), api.register("vb")
    room = api.room(alice, "summary-room")
    api.post(alice, room["id"], "one")
    assert _listed(api, alice, room["id"])["message_count"] == 1
    assert views(f"room:{room['id']}") and views("rooms:order")

    api.post(alice, room["id"], "two")
    listed = api.get(alice, "/api/rooms").json()
    assert listed[0]["id"] == room["id"]  # newest activity first
    assert listed[0]["message_count"] == 2

    api.join(bob, room["id"])
    summary = _listed(api, alice, room["id"])
    assert bob.id in summary["member_ids"]
    assert bob.id in [m["id"] for m in summary["members"]]

    patched = api.http.patch("/api/users/me", json={"display_name": "Bobby"}, headers=bob.headers)
    assert patched.status_code == 200
    members = {m["id"]: m for m in _listed(api, alice, room["id"])["members"]}
    assert members[bob.id]["display_name"] == "Bobby"

    assert api.http.post(f"/api/rooms/{room['id']}/leave", headers=bob.headers).status_code == 200
    assert bob.id not in _listed(api, alice, room["id"])["member_ids"]


def test_a_new_room_joins_the_cached_room_list(api: Api, views: Any) -> None:
    alice = api.register("vc")
    api.get(alice, "/api/rooms", limit=100)
    assert views("rooms:order")
    room = api.room(alice, "brand-new")
    assert room["id"] in [r["id"] for r in api.get(alice, "/api/rooms", limit=100).json()]


def test_history_and_detail_follow_every_message_write(api: Api, views: Any) -> None:
    alice, bob = api.register("vd"), api.register("ve")
    room = api.room(alice, "history-room")
    first = api.post(alice, room["id"], "first")
    api.post(alice, room["id"], "second")
    path = f"/api/rooms/{room['id']}/messages"
    assert _texts(api.get(alice, path).json()) == ["first", "second"]
    assert views(f"room:{room['id']}")

    edited = api.http.patch(
        f"/api/messages/{first['id']}", json={"text": "first!"}, headers=alice.headers
    )
    assert edited.status_code == 200
    assert _texts(api.get(alice, path).json()) == ["first!", "second"]

    reacted = api.http.post(
        f"/api/messages/{first['id']}/reactions", json={"emoji": "+1"}, headers=bob.headers
    )
    assert reacted.status_code == 200
    assert api.get(alice, path).json()[0]["reactions"] == {"+1": [bob.id]}

    assert api.http.delete(f"/api/messages/{first['id']}", headers=alice.headers).status_code == 204
    assert api.get(alice, path).json()[0]["deleted"] is True

    detail = api.get(alice, f"/api/rooms/{room['id']}").json()
    assert _texts(detail["messages"]) == ["", "second"]
    api.join(bob, room["id"])
    api.post(bob, room["id"], "third")
    detail = api.get(alice, f"/api/rooms/{room['id']}").json()
    assert _texts(detail["messages"]) == ["", "second", "third"]
    assert {m["id"] for m in detail["members"]} == {alice.id, bob.id}


def test_home_follows_posts_edits_joins_and_leaves(api: Api, views: Any) -> None:
    alice, bob = api.register("vf"), api.register("vg")
    older = api.room(alice, "older")
    newer = api.room(alice, "newer")
    api.post(alice, older["id"], "o1")
    api.post(alice, newer["id"], "n1")
    home = api.get(alice, "/api/home").json()
    assert [r["id"] for r in home["rooms"]] == [newer["id"], older["id"]]
    assert views(f"home:{alice.id}") and views(f"room:{older['id']}")

    message = api.post(alice, older["id"], "o2")
    home = api.get(alice, "/api/home").json()
    assert [r["id"] for r in home["rooms"]] == [older["id"], newer["id"]]
    assert _texts(home["rooms"][0]["latest_messages"]) == ["o1", "o2"]

    api.http.patch(f"/api/messages/{message['id']}", json={"text": "o2!"}, headers=alice.headers)
    home = api.get(alice, "/api/home").json()
    assert _texts(home["rooms"][0]["latest_messages"]) == ["o1", "o2!"]

    theirs = api.room(bob, "theirs")
    api.join(alice, theirs["id"])
    home = api.get(alice, "/api/home").json()
    assert theirs["id"] in [r["id"] for r in home["rooms"]]
    # bob's post in a shared room reorders alice's home too
    api.post(bob, theirs["id"], "hello")
    assert api.get(alice, "/api/home").json()["rooms"][0]["id"] == theirs["id"]
    api.http.post(f"/api/rooms/{theirs['id']}/leave", headers=alice.headers)
    assert theirs["id"] not in [r["id"] for r in api.get(alice, "/api/home").json()["rooms"]]


def test_user_rooms_follow_joins_posts_and_leaves(api: Api, views: Any) -> None:
    alice, bob = api.register("vh"), api.register("vi")
    mine = api.room(alice, "mine")
    path = f"/api/users/{alice.id}/rooms"
    assert [r["id"] for r in api.get(bob, path).json()] == [mine["id"]]
    assert views(f"home:{alice.id}")

    theirs = api.room(bob, "theirs")
    api.join(alice, theirs["id"])
    listed = api.get(bob, path).json()
    assert {r["id"] for r in listed} == {mine["id"], theirs["id"]}
    api.post(alice, mine["id"], "up")
    assert api.get(bob, path).json()[0]["id"] == mine["id"]
    api.http.post(f"/api/rooms/{theirs['id']}/leave", headers=alice.headers)
    assert [r["id"] for r in api.get(bob, path).json()] == [mine["id"]]


def test_search_follows_registrations_profiles_and_new_rooms(api: Api, views: Any) -> None:
    alice = api.register("vj")
    token = alice.id[-8:] + "zq"
    assert api.get(alice, "/api/search", q=token).json() == {"users": [], "rooms": []}
    assert views("search")

    found = api.register("vk", display_name=f"has {token}")
    assert [u["id"] for u in api.get(alice, "/api/search", q=token).json()["users"]] == [found.id]

    api.http.patch("/api/users/me", json={"display_name": token.upper()}, headers=alice.headers)
    users = api.get(alice, "/api/search", q=token).json()["users"]
    assert {u["id"] for u in users} == {alice.id, found.id}

    room = api.room(alice, f"room {token}")
    assert [r["id"] for r in api.get(alice, "/api/search", q=token).json()["rooms"]] == [room["id"]]


def test_a_login_refreshes_last_seen_at_in_cached_members(api: Api) -> None:
    alice = api.register("vl")
    room = api.room(alice, "seen-room")
    before = _listed(api, alice, room["id"])["members"][0]["last_seen_at"]
    login = api.http.post(
        "/api/auth/login", json={"username": alice.username, "password": PASSWORD}
    )
    assert login.status_code == 200
    seen = login.json()["user"]["last_seen_at"]
    assert seen >= before
    assert _listed(api, alice, room["id"])["members"][0]["last_seen_at"] == seen


def test_fields_pick_from_cached_pages(api: Api) -> None:
    alice = api.register("vm")
    room = api.room(alice, "fields-room")
    api.post(alice, room["id"], "x")
    for _ in range(2):  # the second read is served from the rendered view
        rooms = api.get(alice, "/api/rooms", limit=1, fields="id,message_count").json()
        assert rooms == [{"id": room["id"], "message_count": 1}]
        texts = api.get(alice, f"/api/rooms/{room['id']}/messages", fields="text").json()
        assert texts == [{"text": "x"}]
        found = api.get(alice, "/api/search", q="fields-room", fields="rooms").json()
        assert list(found) == ["rooms"]


def test_the_user_directory_follows_registrations_and_profiles(api: Api, views: Any) -> None:
    alice = api.register("vn")

    def listed() -> dict[str, Any]:
        users, reply = {}, api.get(alice, "/api/users", limit=100)
        while True:
            users.update({u["id"]: u for u in reply.json()})
            if "next" not in reply.links:
                return users
            reply = api.http.get(reply.links["next"]["url"], headers=alice.headers)

    assert alice.id in listed()
    assert views("users")
    bob = api.register("vo")
    assert bob.id in listed()
    api.http.patch("/api/users/me", json={"bio": "new bio"}, headers=bob.headers)
    assert listed()[bob.id]["bio"] == "new bio"


def test_a_write_through_one_process_reaches_the_other_processs_copies(
    api: Api, module_db: str, redis_url: str, module_prefix: str
) -> None:
    """Both processes hold copies of the same room summary; each one's writes show in
    the other's next read (copies are served only at Redis's current version)."""
    alice, bob = api.register("vp"), api.register("vq")
    room = api.room(alice, "two-process-room")
    env = modern_env(module_db, redis_url, module_prefix)
    with run_app(MODERN, env=env) as second, httpx.Client(base_url=second.url) as http:
        there = Api(http)
        for side in (api, there):  # each process reads (and keeps) the rendered summary
            assert _listed(side, alice, room["id"])["message_count"] == 0
        there.post(alice, room["id"], "via the second process")
        assert _listed(api, alice, room["id"])["message_count"] == 1
        api.join(bob, room["id"])
        assert bob.id in [m["id"] for m in _listed(there, alice, room["id"])["members"]]
        renamed = api.http.patch(
            "/api/users/me", json={"display_name": "Robert"}, headers=bob.headers
        )
        assert renamed.status_code == 200
        members = {m["id"]: m for m in _listed(there, alice, room["id"])["members"]}
        assert members[bob.id]["display_name"] == "Robert"
