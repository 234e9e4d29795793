"""The whole stack over real HTTP: legacy, modern and the proxy with the repo's routes.yaml.

An end user talks only to the proxy; each endpoint is answered by the side its
route's stage names, and the migration shows up in `api/status`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import pytest

from tests.support.isolation import fresh_database, fresh_redis_prefix
from tests.support.servers import RunningServer, run_app

ROUTES = Path(__file__).resolve().parents[2] / "routes.yaml"

pytestmark = pytest.mark.redis


@dataclass(frozen=True)
class Stack:
    legacy: RunningServer
    modern: RunningServer
    proxy: RunningServer


@pytest.fixture(scope="module")
def stack(mongo_server_uri: str, redis_url: str) -> Iterator[Stack]:
    with (
        fresh_database(mongo_server_uri) as mongo_uri,
        fresh_redis_prefix(redis_url) as prefix,
    ):
        apps = {"MONGODB_URI": mongo_uri, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix}
        with (
            run_app("legacy.app:app", env=apps) as legacy,
            run_app("modern.app:app", env=apps) as modern,
            run_app(
                "proxy.app:app",
                env={**apps, "STRANGLER_ROUTES": str(ROUTES), "LEGACY_URL": legacy.url,
                     "MODERN_URL": modern.url, "STRANGLER_ADMIN_TOKEN": ""},
                ready_path="/_strangler/healthz",
            ) as proxy,
        ):  # fmt: skip
            yield Stack(legacy, modern, proxy)


@pytest.fixture(scope="module")
def user(stack: Stack) -> dict[str, str]:
    username = f"e2e_{uuid.uuid4().hex[:8]}"
    reply = httpx.post(
        stack.proxy.url + "/api/auth/register",
        json={"username": username, "password": "pass-word-1"},
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    return {"id": body["user"]["id"], "token": body["token"], "username": username}


def test_an_end_user_sees_one_api_served_by_both_apps(stack: Stack, user: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {user['token']}"}
    with httpx.Client(base_url=stack.proxy.url, headers=auth, timeout=30) as http:
        me = http.get(f"/api/users/{user['id']}")  # stage modern
        assert me.status_code == 200 and me.json()["username"] == user["username"]
        direct = httpx.get(f"{stack.legacy.url}/api/users/{user['id']}", headers=auth)
        assert me.json() == direct.json()  # the same user, as legacy would have said
        room = http.post("/api/rooms", json={"name": f"e2e room {user['username']}"})  # legacy
        assert room.status_code == 201
        listed = http.get("/api/rooms")  # shadow: legacy answers
        assert room.json()["id"] in [r["id"] for r in listed.json()]
        assert http.get("/healthz").json() == {"status": "ok"}  # modern
        status = http.get("/_strangler/api/status").json()
    routes = {r["id"]: r for r in status["routes"]}
    assert routes["get-user"]["requests"]["modern"] >= 1
    assert routes["create-room"]["requests"]["legacy"] >= 1
    assert status["migration"]["routes_total"] == 21
    assert status["migration"]["percent_routes"] == round(100 * 2 / 21, 2)
    assert "shadow" in routes["list-rooms"] and "shadow" not in routes["create-room"]


def test_live_events_flow_through_the_proxy(stack: Stack, user: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {user['token']}"}
    room = httpx.post(stack.proxy.url + "/api/rooms", json={"name": "live"}, headers=auth).json()

    async def scenario() -> dict[str, object]:
        async with aiohttp.ClientSession() as session:
            url = f"{stack.proxy.ws_url}/ws/rooms/{room['id']}?token={user['token']}"
            ws = await session.ws_connect(url)
            async with httpx.AsyncClient(base_url=stack.proxy.url, headers=auth) as http:
                posted = await http.post(
                    f"/api/rooms/{room['id']}/messages", json={"text": "hello"}
                )
                assert posted.status_code == 201
            event = json.loads(await asyncio.wait_for(ws.receive_str(), 10))
            await ws.close()
            return dict(event)

    event = asyncio.run(scenario())
    assert event["type"] == "message.created" and event["room_id"] == room["id"]


def test_a_socket_without_a_token_is_refused_through_the_proxy(stack: Stack) -> None:
    async def scenario() -> int:
        async with aiohttp.ClientSession() as session:
            try:
                await session.ws_connect(f"{stack.proxy.ws_url}/ws/rooms/65a1b2c3d4e5f60718293a4b")
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status
            return 101

    assert asyncio.run(scenario()) == 403
