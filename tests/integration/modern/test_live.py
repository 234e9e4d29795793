"""Endpoint 20: live events over WebSocket, fanned out through Redis pub/sub.

The cross-worker test runs two modern processes on the same database and Redis
prefix: a client connected to one receives what is posted through the other.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.integration.modern.client import Api
from tests.integration.modern.conftest import MODERN, modern_env
from tests.support.servers import RunningServer, run_app

RECEIVE_TIMEOUT = 10.0


async def _refused(url: str) -> int:
    with pytest.raises(InvalidStatus) as caught:
        async with websockets.connect(url):
            pass
    return caught.value.response.status_code


def test_handshake_is_refused_without_token_or_room(api: Api, server: RunningServer) -> None:
    me = api.register("listener")
    room = api.room(me, "live-refusals")
    base = f"{server.ws_url}/ws/rooms"
    for url in [
        f"{base}/{room['id']}",
        f"{base}/{room['id']}?token=wrong",
        f"{base}/{'0' * 24}?token={me.token}",
        f"{base}/not-an-id?token={me.token}",
    ]:
        assert asyncio.run(_refused(url)) == 403, url


async def _listen_then(url: str, act: Any, count: int) -> list[dict[str, Any]]:
    """Connect, wait until the server has registered us, run `act`, collect events."""
    async with websockets.connect(url) as socket:
        await asyncio.sleep(0.3)  # the accept happens before the hub registration
        await asyncio.to_thread(act)
        return [
            json.loads(await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT)) for _ in range(count)
        ]


def test_events_for_every_message_write(api: Api, server: RunningServer) -> None:
    me, other = api.register("actor"), api.register("reactor")
    room = api.room(me, "live-events")
    url = f"{server.ws_url}/ws/rooms/{room['id']}?token={other.token}"
    state: dict[str, Any] = {}

    def act() -> None:
        message = api.post(me, room["id"], "hello")
        state["id"] = message["id"]
        path = f"/api/messages/{message['id']}"
        api.http.patch(path, json={"text": "hello!"}, headers=me.headers)
        api.http.post(path + "/reactions", json={"emoji": "👍"}, headers=other.headers)
        api.http.delete(path, headers=me.headers)

    events = asyncio.run(_listen_then(url, act, 4))
    assert [e["type"] for e in events] == [
        "message.created", "message.edited", "reaction.toggled", "message.deleted",
    ]  # fmt: skip
    assert all(e["room_id"] == room["id"] and e["message"]["id"] == state["id"] for e in events)
    assert events[1]["message"]["text"] == "hello!"
    assert (events[2]["user_id"], events[2]["emoji"]) == (other.id, "👍")
    assert events[3]["message"]["deleted"] is True and events[3]["message"]["text"] == ""


def test_event_reaches_a_client_of_another_process(
    api: Api, server: RunningServer, module_db: str, redis_url: str, module_prefix: str
) -> None:
    me = api.register("crossposter")
    room = api.room(me, "live-cross")
    env = modern_env(module_db, redis_url, module_prefix)
    with run_app(MODERN, env=env) as second, httpx.Client(base_url=second.url) as via_second:
        url = f"{server.ws_url}/ws/rooms/{room['id']}?token={me.token}"

        def post_through_second() -> None:
            reply = via_second.post(
                f"/api/rooms/{room['id']}/messages", json={"text": "over there"}, headers=me.headers
            )
            assert reply.status_code == 201, reply.text

        (event,) = asyncio.run(_listen_then(url, post_through_second, 1))
    assert event["type"] == "message.created" and event["message"]["text"] == "over there"
