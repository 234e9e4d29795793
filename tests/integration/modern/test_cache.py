"""The Redis cache: filled by reads, emptied by writes, and optional.

With Redis down (REDIS_URL at a closed port) every request still succeeds from the
database, and live events still reach this process's clients.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import redis

from strangler.embedded_db import free_port
from tests.integration.modern.client import Api
from tests.integration.modern.conftest import MODERN
from tests.integration.modern.test_live import _listen_then
from tests.support.servers import RunningServer, run_app


def test_reads_fill_the_cache_and_writes_empty_it(
    api: Api, redis_url: str, module_prefix: str
) -> None:
    me = api.register("cached")
    room = api.room(me, "cached-room")
    api.post(me, room["id"], "one")
    assert api.get(me, "/api/home").status_code == 200
    assert api.get(me, "/api/rooms").status_code == 200
    client = redis.Redis.from_url(redis_url)
    try:
        keys = {k.decode() for k in client.scan_iter(match=module_prefix + "cache:*")}
        short = {k.removeprefix(module_prefix + "cache:") for k in keys}
        assert {"home:recent_users", "home:popular_rooms", f"user:{me.id}"} <= short
        assert {f"room:{room['id']}:count", f"room:{room['id']}:latest"} <= short
        assert all(client.ttl(key) > 0 for key in keys)
        api.post(me, room["id"], "two")
        after = {k.decode() for k in client.scan_iter(match=module_prefix + "cache:room:*")}
        assert module_prefix + f"cache:room:{room['id']}:latest" not in after
        # the count snapshot stays: a newer last_message_at makes it count only the new ones
        assert module_prefix + f"cache:room:{room['id']}:count" in after
    finally:
        client.close()
    listed = {r["id"]: r for r in api.get(me, "/api/rooms", limit=100).json()}
    assert listed[room["id"]]["message_count"] == 2


@pytest.fixture(scope="module")
def redis_down_server(module_db: str) -> Iterator[RunningServer]:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    env = {"MONGODB_URI": module_db, "REDIS_URL": closed, "REDIS_KEY_PREFIX": "unused:"}
    with run_app(MODERN, env=env) as running:
        yield running


def test_a_redis_outage_degrades_to_direct_reads(redis_down_server: RunningServer) -> None:
    with httpx.Client(base_url=redis_down_server.url, timeout=30) as http:
        api = Api(http)
        me = api.register("offline")
        room = api.room(me, "offline-room")
        url = f"{redis_down_server.ws_url}/ws/rooms/{room['id']}?token={me.token}"
        (event,) = asyncio.run(_listen_then(url, lambda: api.post(me, room["id"], "hi"), 1))
        assert event["message"]["text"] == "hi"  # delivered locally without Redis
        paths = ["/api/home", "/api/rooms", "/api/users", f"/api/rooms/{room['id']}",
                 f"/api/rooms/{room['id']}/messages", f"/api/users/{me.id}/rooms",
                 "/api/search?q=offline"]  # fmt: skip
        for path in paths:
            assert api.get(me, path).status_code == 200, path
        home = api.get(me, "/api/home").json()
        assert [m["text"] for m in home["rooms"][0]["latest_messages"]] == ["hi"]


def test_without_redis_url_an_in_process_stand_in_serves(module_db: str) -> None:
    env = {"MONGODB_URI": module_db, "REDIS_URL": ""}
    with run_app(MODERN, env=env) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        api = Api(http)
        me = api.register("standin")
        room = api.room(me, "standin-room")
        url = f"{server.ws_url}/ws/rooms/{room['id']}?token={me.token}"
        (event,) = asyncio.run(_listen_then(url, lambda: api.post(me, room["id"], "x"), 1))
        assert event["type"] == "message.created"
        assert api.get(me, "/api/home").json()["rooms"][0]["latest_messages"][0]["text"] == "x"
