"""Writes made through legacy reach modern's caches through the change feed.

Legacy and modern share one database (and modern its Redis), as in the worked
example where every write stays on legacy while reads are shadowed. Each test makes
modern cache a view, writes through legacy over HTTP, then reads through modern: the
view must change within the feed's lag (seconds at most), not the cache TTL (set to
ten minutes here so that expiry cannot be what refreshes it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.integration.modern.client import Account, Api
from tests.integration.modern.conftest import MODERN, modern_env
from tests.support.servers import run_app

FEED_LAG_SECONDS = 5.0
LONG_TTL = {"MODERN_CACHE_TTL": "600", "MODERN_PROFILE_TTL": "600", "MODERN_CHANGE_FEED": "1"}


@pytest.fixture(scope="module")
def apps(module_db: str, redis_url: str, module_prefix: str) -> Iterator[tuple[Api, Api]]:
    """(legacy, modern) on the same database."""
    env = modern_env(module_db, redis_url, module_prefix + "feed:", **LONG_TTL)
    with (
        run_app("legacy.app:app", env={"MONGODB_URI": module_db}) as legacy_server,
        run_app(MODERN, env=env) as modern_server,
        httpx.Client(base_url=legacy_server.url, timeout=30) as legacy_http,
        httpx.Client(base_url=modern_server.url, timeout=30) as modern_http,
    ):
        yield Api(legacy_http), Api(modern_http)


def eventually(read: Callable[[], Any], expected: Callable[[Any], bool]) -> Any:
    """`read()` until `expected` holds of it, for up to FEED_LAG_SECONDS; the last value."""
    deadline = time.monotonic() + FEED_LAG_SECONDS
    while True:
        value = read()
        if expected(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _room_in_list(modern: Api, who: Account, room_id: str) -> dict[str, Any] | None:
    rooms = modern.get(who, "/api/rooms", limit=100).json()
    return next((room for room in rooms if room["id"] == room_id), None)


def test_a_post_through_legacy_updates_modern_room_list_history_and_home(
    apps: tuple[Api, Api],
) -> None:
    legacy, modern = apps
    alice = legacy.register("fa")
    quiet, busy = legacy.room(alice, "quiet"), legacy.room(alice, "busy")
    legacy.post(alice, quiet["id"], "first")
    history = f"/api/rooms/{busy['id']}/messages"
    # modern caches the list, the history and the home page ...
    assert modern.get(alice, "/api/rooms", limit=100).json()[0]["id"] == quiet["id"]
    assert modern.get(alice, history).json() == []
    assert modern.get(alice, "/api/home").json()["rooms"][0]["id"] == quiet["id"]
    # ... then legacy takes a post in the other room.
    legacy.post(alice, busy["id"], "hello from legacy")
    listed = eventually(
        lambda: modern.get(alice, "/api/rooms", limit=100).json(),
        lambda rooms: rooms[0]["id"] == busy["id"],
    )
    assert listed[0]["id"] == busy["id"] and listed[0]["message_count"] == 1
    texts = eventually(
        lambda: [m["text"] for m in modern.get(alice, history).json()], lambda texts: texts
    )
    assert texts == ["hello from legacy"]
    home = eventually(
        lambda: modern.get(alice, "/api/home").json(),
        lambda page: page["rooms"][0]["id"] == busy["id"],
    )
    assert [m["text"] for m in home["rooms"][0]["latest_messages"]] == ["hello from legacy"]


def test_joins_and_leaves_through_legacy_reach_members_and_homes(apps: tuple[Api, Api]) -> None:
    legacy, modern = apps
    owner, guest = legacy.register("fb"), legacy.register("fc")
    room = legacy.room(owner, "door")
    legacy.post(owner, room["id"], "knock")
    assert guest.id not in _room_in_list(modern, owner, room["id"])["member_ids"]  # type: ignore[index]
    assert modern.get(guest, "/api/home").json()["rooms"] == []

    legacy.join(guest, room["id"])
    listed = eventually(
        lambda: _room_in_list(modern, owner, room["id"]),
        lambda found: guest.id in found["member_ids"],
    )
    assert guest.id in [member["id"] for member in listed["members"]]
    home = eventually(lambda: modern.get(guest, "/api/home").json(), lambda page: page["rooms"])
    assert [r["id"] for r in home["rooms"]] == [room["id"]]

    left = legacy.http.post(f"/api/rooms/{room['id']}/leave", headers=guest.headers)
    assert left.status_code == 200
    home = eventually(lambda: modern.get(guest, "/api/home").json(), lambda p: not p["rooms"])
    assert home["rooms"] == []  # the leaver's own home: needs the room's pre-image
    listed = eventually(
        lambda: _room_in_list(modern, owner, room["id"]),
        lambda found: guest.id not in found["member_ids"],
    )
    assert guest.id not in [member["id"] for member in listed["members"]]


def test_profiles_registrations_and_rooms_made_through_legacy_reach_modern(
    apps: tuple[Api, Api],
) -> None:
    legacy, modern = apps
    alice = legacy.register("fd")
    room = legacy.room(alice, "profile-room")
    assert modern.get(alice, f"/api/users/{alice.id}").json()["bio"] is None
    assert _room_in_list(modern, alice, room["id"])["members"][0]["bio"] is None  # type: ignore[index]
    before = {u["id"] for u in modern.get(alice, "/api/users", limit=100).json()}

    patched = legacy.http.patch(
        "/api/users/me", json={"bio": "set in legacy"}, headers=alice.headers
    )
    assert patched.status_code == 200
    profile = eventually(
        lambda: modern.get(alice, f"/api/users/{alice.id}").json(),
        lambda user: user["bio"] == "set in legacy",
    )
    assert profile["bio"] == "set in legacy"
    listed = eventually(
        lambda: _room_in_list(modern, alice, room["id"]),
        lambda found: found["members"][0]["bio"] == "set in legacy",
    )
    assert listed["members"][0]["bio"] == "set in legacy"

    bob = legacy.register("fe")
    users = eventually(
        lambda: {u["id"] for u in modern.get(alice, "/api/users", limit=100).json()},
        lambda ids: bob.id in ids,
    )
    assert users == before | {bob.id}
    newer = legacy.room(bob, "made-in-legacy")
    assert eventually(lambda: _room_in_list(modern, bob, newer["id"]), bool) is not None
