"""A cap on open connections per client address: the next one is answered 429.

The proxy runs one worker with `STRANGLER_MAX_CONNECTIONS_PER_CLIENT=3`; the test's
connections all come from 127.0.0.1. A WebSocket (relayed to a small ASGI upstream
playing modern) holds its slot for as long as it is open.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from websockets.sync.client import connect as ws_connect

from tests.integration.hostile.clients import connect, exchange, read_reply, request, wait_until
from tests.integration.hostile.conftest import edge_proxy
from tests.integration.hostile.upstream import Seen, recording_upstream
from tests.integration.proxy.conftest import UPSTREAM_APP, Proxy
from tests.support.servers import run_app

CAP = 3
KEEP_ALIVE = b"GET /echo?m=held HTTP/1.1\r\nHost: proxy.test\r\n\r\n"


WS_ROUTE = "  - {id: ws-echo, path: /ws/echo, websocket: true, stage: modern}\n"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, Seen]]:
    with (
        recording_upstream() as (url, seen),
        run_app(UPSTREAM_APP, env={"UPSTREAM_NAME": "modern"}) as modern,
    ):
        env = {"STRANGLER_MAX_CONNECTIONS_PER_CLIENT": str(CAP), "MODERN_URL": modern.url}
        directory = tmp_path_factory.mktemp("cap")
        with edge_proxy(directory, url, env, extra_routes=WS_ROUTE) as running:
            yield running, seen


def test_connections_past_the_cap_get_429_until_one_closes(proxy: tuple[Proxy, Seen]) -> None:
    running, seen = proxy
    port = running.port
    held = [connect(port) for _ in range(CAP)]
    try:
        for sock in held:  # each is a live keep-alive connection, answered normally
            sock.sendall(KEEP_ALIVE)
            assert read_reply(sock).status == 200

        refused = exchange(port, request("GET", "/echo?m=over-cap"))

        assert refused.status == 429
        assert b"too_many_connections" in refused.body
        assert refused.header("connection") == "close"
        assert not any(b"over-cap" in head for head in seen.requests("GET"))

        held.pop().close()
        assert wait_until(
            lambda: exchange(port, request("GET", "/echo?m=freed")).status == 200, 5.0
        )
    finally:
        for sock in held:
            sock.close()


def test_a_websocket_holds_its_slot_until_it_closes(proxy: tuple[Proxy, Seen]) -> None:
    running, _ = proxy
    port = running.port
    held = [connect(port) for _ in range(CAP - 1)]
    try:
        for sock in held:
            sock.sendall(KEEP_ALIVE)
            assert read_reply(sock).status == 200
        with ws_connect(running.ws_url + "/ws/echo", open_timeout=10) as socket:
            assert "modern" in str(socket.recv(timeout=10))  # the relay is live

            assert exchange(port, request("GET", "/echo?m=ws-over-cap")).status == 429

        assert wait_until(
            lambda: exchange(port, request("GET", "/echo?m=ws-freed")).status == 200, 5.0
        )
    finally:
        for sock in held:
            sock.close()
