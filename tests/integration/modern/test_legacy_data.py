"""Modern reads whatever legacy writes, and keeps none of legacy's input holes.

Legacy and modern run on one database, as in a migration: legacy stores hostile
values through its own API (NaN, Infinity, objects and numbers in string fields,
huge strings, `javascript:` avatars), then modern renders them by the rules of
docs/wire-contract.md ("Reading what legacy stored"); a proxy in shadow, with the
repository's compare rules, counts legacy's 500 against modern's 200 as intended.
The holes themselves are shown on legacy (it keeps them on purpose) and refused by
modern.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from bson import ObjectId
from pymongo.database import Database

from modern.repositories.documents import MAX_TEXT_CHARS, ZERO_ID
from proxy.config.loader import load_routes
from tests.integration.modern.client import PASSWORD, Account, Api
from tests.integration.modern.conftest import modern_env
from tests.support.isolation import open_database
from tests.support.servers import REPO_ROOT, RunningServer, run_app

READ_ROUTES = ["list-users", "user-rooms", "list-rooms", "get-room", "list-messages", "home"]


@pytest.fixture(scope="module")
def server(module_db: str, redis_url: str, module_prefix: str) -> Iterator[RunningServer]:
    """Modern with its change feed on: legacy's writes drop modern's cached views."""
    with run_app("modern.app:app", env=modern_env(module_db, redis_url, module_prefix)) as app:
        yield app


@pytest.fixture(scope="module")
def legacy(module_db: str) -> Iterator[httpx.Client]:
    with (
        run_app("legacy.app:app", env={"MONGODB_URI": module_db}) as app,
        httpx.Client(base_url=app.url, timeout=30) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def db(module_db: str) -> Iterator[Database[dict[str, Any]]]:
    with open_database(module_db) as database:
        yield database


def raw_json(client: httpx.Client, method: str, path: str, body: str, who: Account) -> int:
    """Send `body` verbatim: `NaN` and `Infinity` are what Python's json.loads accepts
    and legacy stores, though no JSON encoder of ours would write them."""
    headers = {**who.headers, "Content-Type": "application/json"}
    return client.request(method, path, content=body.encode(), headers=headers).status_code


def ok(reply: httpx.Response) -> Any:
    assert reply.status_code == 200, reply.text
    return reply.json()


def eventually(read: Callable[[], Any], expected: Any, within: float = 10.0) -> None:
    """`read()` equals `expected` once modern's change feed has dropped what legacy's
    write made stale (a cached profile), within a generous bound."""
    deadline = time.monotonic() + within
    while (value := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert value == expected


def test_nan_stored_by_legacy_breaks_legacy_and_renders_in_modern(
    api: Api, legacy: httpx.Client, db: Database[dict[str, Any]]
) -> None:
    owner, member = api.register("owner"), api.register("member")
    room = api.room(owner, "nan-room")
    api.join(member, room["id"])
    api.post(owner, room["id"], "before")
    path = f"/api/rooms/{room['id']}/messages"
    # Legacy stores the NaN, then cannot render even its own reply to that request.
    assert raw_json(legacy, "POST", path, '{"text": NaN}', owner) == 500
    assert raw_json(legacy, "POST", path, '{"text": [1, -Infinity]}', owner) == 500
    texts = [doc["text"] for doc in db.messages.find({"room_id": ObjectId(room["id"])})]
    assert texts[0] == "before" and texts[1] != texts[1] and texts[2][1] == float("-inf")
    assert legacy.get(f"/api/rooms/{room['id']}", headers=owner.headers).status_code == 500
    assert legacy.get("/api/home", headers=member.headers).status_code == 500

    # Modern: "no value" for a text field that is never null is "", NaN inside → null.
    expected = ["before", "", "[1,null]"]
    assert [m["text"] for m in ok(api.get(owner, path))] == expected
    assert [m["text"] for m in ok(api.get(member, f"/api/rooms/{room['id']}"))["messages"]] == (
        expected
    )
    for who in (owner, member):
        (mine,) = [r for r in ok(api.get(who, "/api/home"))["rooms"] if r["id"] == room["id"]]
        assert [m["text"] for m in mine["latest_messages"]] == expected
    summaries = ok(api.get(owner, "/api/rooms", limit=100))
    assert next(r for r in summaries if r["id"] == room["id"])["message_count"] == 3


def test_wrong_types_in_string_fields_render_as_their_json_text(
    api: Api, legacy: httpx.Client
) -> None:
    me = api.register("typed")
    profile = '{"display_name": {"a": [1, NaN]}, "bio": Infinity, "avatar_url": ["x"]}'
    assert raw_json(legacy, "PATCH", "/api/users/me", profile, me) == 500  # stored, then NaN
    created = legacy.post("/api/rooms", json={"name": 42, "topic": {"t": True}}, headers=me.headers)
    assert created.status_code == 201 and created.json()["name"] == 42  # legacy: as stored

    user = ok(api.get(me, f"/api/users/{me.id}"))
    assert (user["display_name"], user["bio"], user["avatar_url"]) == ('{"a":[1,null]}', None, None)
    room = ok(api.get(me, f"/api/rooms/{created.json()['id']}"))
    assert (room["name"], room["topic"]) == ("42", '{"t":true}')
    found = ok(api.get(me, "/api/search", q=me.username))["users"]
    assert [u["display_name"] for u in found] == ['{"a":[1,null]}']


def test_a_javascript_avatar_stored_by_legacy_is_never_served(
    api: Api, legacy: httpx.Client
) -> None:
    me = api.register("avatar")
    for stored, served in [
        ("javascript:alert(document.cookie)", None),
        ("HTTPS://example.org/a.png", "HTTPS://example.org/a.png"),
        ("data:text/html,<script>", None),
    ]:
        reply = legacy.patch("/api/users/me", json={"avatar_url": stored}, headers=me.headers)
        assert reply.status_code == 200 and reply.json()["avatar_url"] == stored  # legacy's hole
        eventually(lambda: ok(api.get(me, f"/api/users/{me.id}"))["avatar_url"], served)


def test_oversized_text_is_cut_at_the_documented_bound(api: Api, legacy: httpx.Client) -> None:
    me = api.register("big")
    room = api.room(me, "big-room")
    huge = "é" * (MAX_TEXT_CHARS + 10_000)
    posted = legacy.post(
        f"/api/rooms/{room['id']}/messages", json={"text": huge}, headers=me.headers
    )
    assert posted.status_code == 201 and len(posted.json()["text"]) == len(huge)
    (message,) = ok(api.get(me, f"/api/rooms/{room['id']}/messages"))
    assert message["text"] == "é" * MAX_TEXT_CHARS


def test_missing_fields_read_as_defaults_and_keep_their_place(
    api: Api, db: Database[dict[str, Any]]
) -> None:
    """Documents written without most fields (older code, a hand fix): rendered with
    nulls and the zero id, listed, and paged through with cursors."""
    me = api.register("sparse")
    room_id = db.rooms.insert_one({"member_ids": ObjectId(me.id)}).inserted_id
    at = datetime(2030, 1, 1, tzinfo=UTC)
    db.messages.insert_many([
        {"room_id": room_id, "text": "dated", "created_at": at},
        {"room_id": room_id, "reactions": {"👍": [me.id, 7, "nobody"], "x": "no list"}},
        {"room_id": room_id, "deleted": "yes", "text": "undated"},
    ])  # fmt: skip
    room = ok(api.get(me, f"/api/rooms/{room_id}"))
    assert (room["name"], room["owner_id"], room["created_at"]) == ("", ZERO_ID, None)
    assert room["member_ids"] == [me.id] and [u["id"] for u in room["members"]] == [me.id]
    # Undated messages are the oldest (newest first, ties by id): first in the page.
    assert [(m["text"], m["created_at"]) for m in room["messages"]] == [
        ("undated", None), ("", None), ("dated", "2030-01-01T00:00:00.000Z"),
    ]  # fmt: skip
    assert room["messages"][1]["reactions"] == {"👍": [me.id]}
    assert room["messages"][1]["author_id"] == ZERO_ID
    assert room["messages"][0]["deleted"] is False  # only a stored `true` deletes

    pages, reply = [], api.get(me, f"/api/rooms/{room_id}/messages", limit=1)
    while True:
        pages.extend(m["text"] for m in ok(reply))
        if "next" not in reply.links:
            break
        reply = api.http.get(reply.links["next"]["url"], headers=me.headers)
    assert pages == ["dated", "", "undated"]
    (mine,) = ok(api.get(me, "/api/home"))["rooms"]
    assert [m["text"] for m in mine["latest_messages"]] == ["undated", "", "dated"]
    assert [r["id"] for r in ok(api.get(me, f"/api/users/{me.id}/rooms"))] == [str(room_id)]


def test_reactions_stored_in_another_shape_can_still_be_toggled(
    api: Api, db: Database[dict[str, Any]]
) -> None:
    """The toggle's compare-and-set compares with what is stored, not its rendering."""
    me = api.register("reacts")
    room = api.room(me, "reacts")
    shapes: list[Any] = [{"👍": [me.id, 7], "x": "no list"}, "junk", None, [me.id], {}]
    for shape in shapes:
        message_id = db.messages.insert_one(
            {"room_id": ObjectId(room["id"]), "author_id": ObjectId(me.id), "text": "t",
             "created_at": datetime.now(UTC), "reactions": shape}
        ).inserted_id  # fmt: skip
        path = f"/api/messages/{message_id}/reactions"
        reply = api.http.post(path, json={"emoji": "🎉"}, headers=me.headers)
        before = {"👍": [me.id]} if isinstance(shape, dict) and shape else {}
        assert ok(reply)["reactions"] == {**before, "🎉": [me.id]}, shape
        assert db.messages.find_one({"_id": message_id})["reactions"] == {**before, "🎉": [me.id]}


def test_operator_like_emoji_from_legacy_do_not_break_modern_reactions(
    api: Api, legacy: httpx.Client
) -> None:
    me = api.register("dollar")
    room = api.room(me, "dollar")
    message = api.post(me, room["id"], "react to me")
    path = f"/api/messages/{message['id']}/reactions"
    for emoji in ("$where", "$gt"):  # legacy stores any emoji as a key of the map
        stored = legacy.post(path, json={"emoji": emoji}, headers=me.headers)
        assert stored.status_code == 200 and emoji in stored.json()["reactions"]
    reply = api.http.post(path, json={"emoji": "👍"}, headers=me.headers)
    assert ok(reply)["reactions"] == {"$where": [me.id], "$gt": [me.id], "👍": [me.id]}
    for refused in ("$where", "a\x00b", "\n", ""):
        answer = api.http.post(path, json={"emoji": refused}, headers=me.headers)
        assert answer.status_code == 422, (refused, answer.text)


def test_members_stored_as_a_non_list_can_still_join_and_leave(
    api: Api, db: Database[dict[str, Any]]
) -> None:
    me, other = api.register("joins"), api.register("joins_other")
    for stored, rendered in [(None, []), ("junk", []), (ObjectId(other.id), [other.id])]:
        room_id = db.rooms.insert_one({"name": "odd", "member_ids": stored}).inserted_id
        assert ok(api.get(me, f"/api/rooms/{room_id}"))["member_ids"] == rendered
        joined = api.http.post(f"/api/rooms/{room_id}/join", headers=me.headers)
        assert ok(joined)["member_ids"] == [*rendered, me.id]
        left = api.http.post(f"/api/rooms/{room_id}/leave", headers=me.headers)
        assert ok(left)["member_ids"] == rendered


def test_sessions_stored_in_odd_shapes_are_no_sessions(
    api: Api, db: Database[dict[str, Any]]
) -> None:
    me = api.register("sessions")
    later = datetime(2100, 1, 1, tzinfo=UTC)
    for token, session in {
        "t-string-expiry": {"user_id": ObjectId(me.id), "expires_at": "2100-01-01"},
        "t-no-user": {"expires_at": later},
        "t-odd-user": {"user_id": [me.id], "expires_at": later},
        "t-nan-expiry": {"user_id": ObjectId(me.id), "expires_at": float("nan")},
    }.items():
        db.sessions.insert_one({"token": token, **session})
        reply = api.http.get("/api/home", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401, (token, reply.text)


def test_the_shadow_comparison_is_told_of_legacy_500_against_modern_200() -> None:
    routes = {route.id: route for route in load_routes(REPO_ROOT / "routes.yaml").config.routes}
    for route_id in [*READ_ROUTES, "search"]:
        assert [500, 200] in routes[route_id].compare.equivalent_statuses, route_id


def test_the_proxy_counts_legacy_500_against_modern_200_as_intended(
    api: Api,
    legacy: httpx.Client,
    server: RunningServer,
    redis_url: str,
    module_prefix: str,
    tmp_path: Path,
) -> None:
    """The repository's own compare rules, applied by a real proxy in shadow: a room
    holding a NaN message is `intended` (declared), never `mismatched`."""
    repo = yaml.safe_load((REPO_ROOT / "routes.yaml").read_text())
    shadowed = [r for r in repo["routes"] if r["id"] in ("get-room", "list-messages")]
    upstreams = {"legacy": {"url": str(legacy.base_url).rstrip("/")}, "modern": {"url": server.url}}
    table = tmp_path / "routes.yaml"
    table.write_text(yaml.safe_dump({"version": 1, "upstreams": upstreams, "routes": shadowed}))
    env = {
        "STRANGLER_ROUTES": str(table), "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": module_prefix + "proxy:", "STRANGLER_ADMIN_TOKEN": "admin-token",
        "LEGACY_URL": "", "MODERN_URL": "",
    }  # fmt: skip
    me = api.register("shadowed")
    room = api.room(me, "shadowed")
    assert raw_json(legacy, "POST", f"/api/rooms/{room['id']}/messages", '{"text": NaN}', me) == 500
    with (
        run_app("proxy.app:app", env=env, ready_path="/_strangler/healthz") as proxy,
        httpx.Client(base_url=proxy.url, timeout=30) as http,
    ):
        for path in (f"/api/rooms/{room['id']}", f"/api/rooms/{room['id']}/messages"):
            assert http.get(path, headers=me.headers).status_code == 500  # users get legacy's

        def counts() -> dict[str, tuple[int, int]]:
            admin = {"Authorization": "Bearer admin-token"}
            routes = http.get("/_strangler/api/status", headers=admin).json()["routes"]
            return {r["id"]: (r["shadow"]["intended"], r["shadow"]["mismatched"]) for r in routes}

        eventually(counts, {"get-room": (1, 0), "list-messages": (1, 0)})


# -- legacy's holes, absent in modern -------------------------------------------------------


def test_operator_object_login_logs_into_legacy_but_is_refused_by_modern(
    api: Api, legacy: httpx.Client
) -> None:
    api.register("victim")
    attack = {"username": {"$gt": ""}, "password": PASSWORD}
    hole = legacy.post("/api/auth/login", json=attack)
    assert hole.status_code == 200 and hole.json()["token"]  # logged in as someone
    refused = api.http.post("/api/auth/login", json=attack)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"].keys() == {"username"}
    for password in ({"$ne": ""}, ["x"], None):
        body = {"username": "victim", "password": password}
        assert api.http.post("/api/auth/login", json=body).status_code == 422


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/api/users/me", "PATCH", {"avatar_url": "javascript:alert(1)"}),
        ("/api/users/me", "PATCH", {"avatar_url": "data:image/png;base64,AAAA"}),
        ("/api/users/me", "PATCH", {"avatar_url": "https://"}),
        ("/api/users/me", "PATCH", {"avatar_url": "https://a b.org/"}),
        ("/api/users/me", "PATCH", {"avatar_url": " https://example.org/a.png"}),
        ("/api/users/me", "PATCH", {"bio": 5}),
        ("/api/users/me", "PATCH", {"display_name": {"$gt": ""}}),
        ("/api/users/me", "PATCH", {"bio": ["a"]}),
        ("/api/rooms", "POST", {"name": 42}),
        ("/api/rooms", "POST", {"name": "ok", "topic": {"t": 1}}),
        ("/api/auth/register", "POST", {"username": ["abc"], "password": PASSWORD}),
    ],
)
def test_modern_refuses_what_legacy_stores(
    api: Api, legacy: httpx.Client, path: str, method: str, body: dict[str, Any]
) -> None:
    me = api.register("holes")
    if path != "/api/auth/register":  # legacy's register 500s on a list (unhashable)
        stored = legacy.request(method, path, json=body, headers=me.headers)
        assert stored.status_code in (200, 201), stored.text
    refused = api.http.request(method, path, json=body, headers=me.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "validation_error"


def test_modern_refuses_non_finite_numbers_in_bodies(api: Api) -> None:
    me = api.register("finite")
    room = api.room(me, "finite")
    path = f"/api/rooms/{room['id']}/messages"
    for body in ('{"text": NaN}', '{"text": Infinity}'):
        assert raw_json(api.http, "POST", path, body, me) == 422
    assert raw_json(api.http, "PATCH", "/api/users/me", '{"bio": -Infinity}', me) == 422


def test_modern_accepts_http_avatars(api: Api) -> None:
    me = api.register("goodavatar")
    for value in ("https://example.org/a.png?s=64", "http://127.0.0.1:8080/a", None):
        reply = api.http.patch("/api/users/me", json={"avatar_url": value}, headers=me.headers)
        assert ok(reply)["avatar_url"] == value
