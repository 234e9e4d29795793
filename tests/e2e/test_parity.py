"""Legacy and modern side by side on the SAME database: same requests, comparable bodies.

Writes go through both apps in turn (each must read what the other wrote), then every
read endpoint is asked of both and compared under one of the declared rules of
`tests/e2e/parity/rules.py` (identical, bounded prefix, newest suffix, home bounds,
same error, bad input → 4xx). Modern runs with its cache off (MODERN_CACHE_TTL=0,
MODERN_PROFILE_TTL=0): writes through legacy do not invalidate modern's cache, and a
TTL-stale read is a cache property, not a wire difference.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pymongo
import pytest
from bson import ObjectId

from tests.e2e.parity import rules
from tests.e2e.parity.rules import Ledger
from tests.support.isolation import fresh_database, fresh_redis_prefix
from tests.support.servers import run_app

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("legacy.app") is None, reason="legacy/app.py is not there yet"
)
PASSWORD = "parity password"
BASE = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Pair:
    """One legacy and one modern client; `both()` sends the same request to each."""

    legacy: httpx.Client
    modern: httpx.Client
    ledger: Ledger = field(default_factory=Ledger)

    def both(
        self, method: str, path: str, token: str | None = None, **kw: Any
    ) -> tuple[httpx.Response, httpx.Response]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return (
            self.legacy.request(method, path, headers=headers, **kw),
            self.modern.request(method, path, headers=headers, **kw),
        )


@pytest.fixture(scope="module")
def database(mongo_server_uri: str) -> Iterator[str]:
    with fresh_database(mongo_server_uri, "parity") as uri:
        yield uri


@pytest.fixture(scope="module")
def pair(database: str, redis_url: str) -> Iterator[Pair]:
    prefix = f"strangler-test:parity-{uuid.uuid4().hex[:8]}:"
    modern_env = {
        "MONGODB_URI": database, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix,
        "MODERN_CACHE_TTL": "0", "MODERN_PROFILE_TTL": "0",
    }  # fmt: skip
    with (
        run_app("legacy.app:app", env={"MONGODB_URI": database}) as legacy,
        run_app("modern.app:app", env=modern_env) as modern,
        httpx.Client(base_url=legacy.url, timeout=60) as legacy_http,
        httpx.Client(base_url=modern.url, timeout=60) as modern_http,
    ):
        pair = Pair(legacy_http, modern_http)
        yield pair
        print("\n" + pair.ledger.summary())


def _seed(database: str, owner_ids: list[ObjectId]) -> dict[str, Any]:
    """Bulk rows written straight into the shared storage: more than any bound, with ties."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(database, tz_aware=True)
    db = client.get_default_database()
    users = [
        {
            "_id": ObjectId(), "username": f"seed{i:03d}", "display_name": f"Seed {i}",
            "bio": None, "avatar_url": None, "password_hash": "pbkdf2_sha256$1$00$00",
            "created_at": BASE,
            "last_seen_at": None if i % 7 == 0 else BASE + timedelta(minutes=i // 3),
        }
        for i in range(60)
    ]  # fmt: skip
    db.users.insert_many(users)
    members = [u["_id"] for u in users]
    rooms = [
        {
            "_id": ObjectId(), "name": f"seed room {i % 20:02d}", "topic": "seeded",
            "owner_id": members[i], "member_ids": members[: (i * 7) % 23 + 1] + owner_ids[:1],
            "created_at": BASE,
            "last_message_at": None if i % 5 == 0 else BASE + timedelta(hours=i // 4),
        }
        for i in range(60)
    ]  # fmt: skip
    db.rooms.insert_many(rooms)
    busy = rooms[1]["_id"]
    db.messages.insert_many([
        {
            "_id": ObjectId(), "room_id": busy, "author_id": members[i % 5], "text": f"old {i}",
            "created_at": BASE + timedelta(seconds=i // 4), "edited_at": None,
            "deleted": i % 11 == 0, "reactions": {"👍": [str(members[1])]} if i % 9 == 0 else {},
        }
        for i in range(70)
    ])  # fmt: skip
    client.close()
    return {"busy": str(busy), "users": [str(m) for m in members]}


@pytest.fixture(scope="module")
def world(pair: Pair, database: str) -> dict[str, Any]:
    """Writes alternate between the apps; each reply is checked against the other app."""
    state: dict[str, Any] = {}
    for name, app in [("alice", pair.legacy), ("bob", pair.modern), ("carol", pair.legacy)]:
        reply = app.post(
            "/api/auth/register",
            json={
                "username": f"{name}_{uuid.uuid4().hex[:6]}",
                "password": PASSWORD,
                "display_name": name.title(),
            },
        )
        assert reply.status_code == 201, reply.text
        state[name] = reply.json()
    alice, bob, carol = (state[n]["token"] for n in ("alice", "bob", "carol"))
    state["seed"] = _seed(database, [ObjectId(state["alice"]["user"]["id"])])

    def write(app: httpx.Client, method: str, path: str, token: str, body: Any = None) -> Any:
        reply = app.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code in (200, 201, 204), (path, reply.text)
        return reply.json() if reply.status_code != 204 else None

    room_a = write(pair.legacy, "POST", "/api/rooms", alice, {"name": "Alpha.Room", "topic": "a.b"})
    room_b = write(pair.modern, "POST", "/api/rooms", bob, {"name": "beta"})
    write(pair.modern, "POST", f"/api/rooms/{room_a['id']}/join", carol)
    write(pair.legacy, "POST", f"/api/rooms/{room_a['id']}/join", bob)
    write(pair.legacy, "POST", f"/api/rooms/{room_b['id']}/join", carol)
    write(pair.modern, "POST", f"/api/rooms/{room_b['id']}/leave", carol)
    posts = [
        write(app, "POST", f"/api/rooms/{room_a['id']}/messages", token, {"text": f"hello {i}"})
        for i, (app, token) in enumerate(
            [(pair.legacy, alice), (pair.modern, bob), (pair.legacy, carol), (pair.modern, alice)]
        )
    ]
    write(pair.legacy, "POST", f"/api/messages/{posts[0]['id']}/reactions", carol, {"emoji": "🎉"})
    write(pair.modern, "POST", f"/api/messages/{posts[0]['id']}/reactions", bob, {"emoji": "🎉"})
    write(pair.modern, "POST", f"/api/messages/{posts[1]['id']}/reactions", alice, {"emoji": "a.b"})
    write(pair.modern, "PATCH", f"/api/messages/{posts[2]['id']}", carol, {"text": "edited"})
    write(pair.legacy, "DELETE", f"/api/messages/{posts[3]['id']}", alice)
    write(pair.modern, "DELETE", f"/api/messages/{posts[1]['id']}", bob)
    state.update(room_a=room_a, room_b=room_b, posts=posts)
    return state


def test_idempotent_writes_answer_identically(pair: Pair, world: dict[str, Any]) -> None:
    token, room = world["bob"]["token"], world["room_a"]["id"]
    for path in [f"/api/rooms/{room}/join", f"/api/rooms/{world['room_b']['id']}/leave"]:
        legacy, modern = pair.both(
            "POST", path, token if "join" in path else world["alice"]["token"]
        )
        rules.identical(pair.ledger, f"POST {path}", legacy, modern)
    legacy, modern = pair.both("PATCH", "/api/users/me", token, json={"bio": "same"})
    rules.identical(pair.ledger, "PATCH /api/users/me", legacy, modern)


def test_writes_are_read_back_identically(pair: Pair, world: dict[str, Any]) -> None:
    token = world["carol"]["token"]
    for name in ("alice", "bob", "carol"):
        path = f"/api/users/{world[name]['user']['id']}"
        rules.identical(pair.ledger, f"GET {path}", *pair.both("GET", path, token))
    legacy, modern = pair.both("GET", f"/api/rooms/{world['room_a']['id']}/messages", token)
    rules.identical(pair.ledger, "GET room A messages", legacy, modern)
    texts = [m["text"] for m in modern.json()]
    assert texts == ["hello 0", "", "edited", ""]
    assert modern.json()[0]["reactions"] == {
        "🎉": [world["carol"]["user"]["id"], world["bob"]["user"]["id"]]
    }


def test_lists_are_prefixes_or_suffixes(pair: Pair, world: dict[str, Any]) -> None:
    token = world["alice"]["token"]
    alice_id = world["alice"]["user"]["id"]
    for path in ["/api/users", "/api/rooms", f"/api/users/{alice_id}/rooms"]:
        rules.bounded_prefix(pair.ledger, f"GET {path}", *pair.both("GET", path, token))
    busy = world["seed"]["busy"]
    legacy, modern = pair.both("GET", f"/api/rooms/{busy}/messages", token)
    assert len(legacy.json()) == 70 and len(modern.json()) == 50
    rules.newest_suffix(pair.ledger, "GET busy room messages", legacy.json(), modern.json())
    for room in (busy, world["room_a"]["id"]):
        rules.room_detail(
            pair.ledger, f"GET /api/rooms/{room}", *pair.both("GET", f"/api/rooms/{room}", token)
        )


def test_pages_concatenate_to_legacy_lists(pair: Pair, world: dict[str, Any]) -> None:
    """Following modern's Link headers rebuilds legacy's whole list, in order."""
    headers = {"Authorization": f"Bearer {world['alice']['token']}"}
    for path, newest_first in [
        ("/api/users", False), ("/api/rooms", False),
        (f"/api/rooms/{world['seed']['busy']}/messages", True),
    ]:  # fmt: skip
        whole = pair.legacy.get(path, headers=headers).json()
        pages, reply = [], pair.modern.get(path, params={"limit": 7}, headers=headers)
        while True:
            pages.append(reply.json())
            if "next" not in reply.links:
                break
            reply = pair.modern.get(reply.links["next"]["url"], headers=headers)
        rebuilt = [item for page in (reversed(pages) if newest_first else pages) for item in page]
        assert rebuilt == whole, path
        pair.ledger.note(f"GET {path} (all pages)", "identical")


def test_home_for_each_user(pair: Pair, world: dict[str, Any]) -> None:
    for name in ("alice", "bob", "carol"):
        rules.home(
            pair.ledger,
            f"GET /api/home as {name}",
            *pair.both("GET", "/api/home", world[name]["token"]),
        )


@pytest.mark.parametrize("q", ["", "a", "ALPHA", "a.b", ".*", "seed", "Seed 1", "zzz-nothing"])
def test_search(pair: Pair, world: dict[str, Any], q: str) -> None:
    legacy, modern = pair.both("GET", "/api/search", world["bob"]["token"], params={"q": q})
    rules.search(pair.ledger, f"GET /api/search?q={q}", legacy, modern)


def test_refusals_agree(pair: Pair, world: dict[str, Any]) -> None:
    unknown = str(ObjectId())
    alice, bob = world["alice"]["token"], world["bob"]["token"]
    post_a = world["posts"][0]["id"]
    cases: list[tuple[str, str, str | None, Any]] = [
        ("GET", f"/api/users/{unknown}", alice, None),
        ("GET", f"/api/users/{unknown}/rooms", alice, None),
        ("GET", f"/api/rooms/{unknown}", alice, None),
        ("GET", f"/api/rooms/{unknown}/messages", alice, None),
        ("POST", f"/api/rooms/{unknown}/join", alice, None),
        ("PATCH", f"/api/messages/{unknown}", alice, {"text": "x"}),
        ("DELETE", f"/api/messages/{world['posts'][3]['id']}", alice, None),  # already deleted
        ("PATCH", f"/api/messages/{post_a}", bob, {"text": "not mine"}),
        ("POST", f"/api/rooms/{world['room_b']['id']}/messages", alice, {"text": "not a member"}),
        ("GET", "/api/home", None, None),
        ("GET", "/api/users", "not-a-token", None),
        ("POST", "/api/auth/login", None, {"username": "nobody-at-all", "password": "whatever1"}),
        (
            "POST",
            "/api/auth/register",
            None,
            {"username": world["bob"]["user"]["username"], "password": "whatever1"},
        ),
    ]
    for method, path, token, body in cases:
        legacy, modern = pair.both(method, path, token, json=body)
        rules.same_error(pair.ledger, f"{method} {path}", legacy, modern)


def test_bad_input_gets_a_4xx_from_modern(pair: Pair, world: dict[str, Any]) -> None:
    token, room = world["alice"]["token"], world["room_a"]["id"]
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/users/not-an-id", {}),
        ("GET", "/api/rooms/123/messages", {}),
        ("POST", "/api/messages/zz/reactions", {"json": {"emoji": "x"}}),
        (
            "POST",
            f"/api/rooms/{room}/messages",
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        ),
        ("POST", f"/api/rooms/{room}/messages", {"json": {}}),
        ("POST", f"/api/rooms/{room}/messages", {"json": {"text": 42}}),
        ("POST", "/api/rooms", {"json": ["a list"]}),
        ("PATCH", "/api/users/me", {"json": {"display_name": None}}),
    ]
    for method, path, kw in cases:
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        legacy = pair.legacy.request(method, path, headers=headers, **kw)
        modern = pair.modern.request(method, path, headers=headers, **kw)
        rules.bad_input(pair.ledger, f"{method} {path} {kw}", legacy, modern)
    # both still serve afterwards (legacy closed the connection after its 500s)
    rules.identical(pair.ledger, "GET /healthz", *pair.both("GET", "/healthz"))


def test_cached_modern_answers_byte_for_byte_like_uncached(
    pair: Pair, world: dict[str, Any], database: str, redis_url: str
) -> None:
    """Modern with its rendered views (cache on) against the cache-off modern compared
    with legacy above: the second read comes from Redis and must be the same bytes."""
    alice_id, busy = world["alice"]["user"]["id"], world["seed"]["busy"]
    paths = [
        "/api/home", "/api/rooms", "/api/rooms?limit=7", "/api/users",
        f"/api/users/{alice_id}/rooms", f"/api/rooms/{busy}/messages",
        f"/api/rooms/{busy}/messages?limit=7", f"/api/rooms/{busy}", "/api/search?q=a",
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {world['alice']['token']}"}
    with (
        fresh_redis_prefix(redis_url) as prefix,  # its keys are deleted afterwards
        run_app(
            "modern.app:app",
            env={"MONGODB_URI": database, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix},
        ) as cached,
        httpx.Client(base_url=cached.url) as http,
    ):
        for path in paths:
            expected = pair.modern.get(path, headers=headers)
            for attempt in ("filled", "from the views"):
                reply = http.get(path, headers=headers)
                assert reply.content == expected.content, f"{path} {attempt}"
                assert _next_cursor(reply) == _next_cursor(expected), path
        pair.ledger.note("cached modern (all lists, home, search)", "identical")


def _next_cursor(reply: httpx.Response) -> str | None:
    link = reply.links.get("next")
    return httpx.URL(link["url"]).params.get("cursor") if link else None
