"""SIGTERM on `strangler serve proxy --workers 2`: drain, refuse, exit 0.

Requests in flight when the signal arrives finish; new connections are refused at
once (never accepted and left hanging); readyz says `draining` on a connection
that was already open; WebSockets close with 1001 on both sides; the master exits 0
and the health check then fails. A master killed outright takes its workers along.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import websockets.sync.client

from tests.e2e.serving.proxies import Proxy
from tests.support.processes import process_gone
from tests.support.servers import RunningServer

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_sigterm_finishes_in_flight_requests_and_refuses_new_ones(proxy: Proxy) -> None:
    # Sent in full before the signal: these requests are in flight when it arrives.
    in_flight = []
    for _ in range(6):
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=20)
        connection.request("GET", "/slow?seconds=2")
        in_flight.append(connection)
    time.sleep(0.5)  # the workers have accepted them and asked the upstream
    stopped_at = time.monotonic()
    os.kill(proxy.process.pid, signal.SIGTERM)
    time.sleep(ACCEPT_SETTLE)
    # A new connection is refused or closed at once: never accepted and left hanging.
    for _ in range(5):
        started = time.monotonic()
        with pytest.raises(httpx.TransportError):
            httpx.get(proxy.url + "/echo", timeout=5)
        assert time.monotonic() - started < 2.0
    with ThreadPoolExecutor(len(in_flight)) as pool:
        statuses = list(pool.map(_status_of, in_flight))
    assert statuses == [200] * 6
    assert proxy.process.wait(30) == 0
    assert time.monotonic() - stopped_at < 15  # within the drain timeout, not a kill


def test_sigterm_says_draining_in_readyz_and_closes_websockets_with_1001(
    proxy: Proxy, upstream: RunningServer
) -> None:
    assert _healthcheck(proxy).returncode == 0  # what the image's HEALTHCHECK runs
    with contextlib.ExitStack() as stack:
        sockets = [
            stack.enter_context(
                websockets.sync.client.connect(f"ws://127.0.0.1:{proxy.port}/ws/echo?id=drain{n}")
            )
            for n in range(3)
        ]
        for socket in sockets:
            assert '"upstream": "legacy"' in socket.recv(timeout=5)  # the echo's greeting
            socket.send("hello")
            assert socket.recv(timeout=5) == "hello"
        with httpx.Client(base_url=proxy.url, timeout=5) as client:
            assert client.get("/_strangler/readyz").status_code == 200
            os.kill(proxy.process.pid, signal.SIGTERM)
            # On the kept-alive connection, readyz turns 503 before the connection closes.
            seen = _readyz_until_closed(client)
        assert "draining" in seen
        for socket in sockets:
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                socket.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    closes = httpx.get(upstream.url + "/ws-closes", timeout=5).json()
    assert all(closes.get(f"drain{n}") == 1001 for n in range(3)), closes
    assert proxy.process.wait(30) == 0
    stopped = _healthcheck(proxy)
    assert stopped.returncode == 1 and "nothing serving" in stopped.stderr


def _healthcheck(proxy: Proxy) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STRANGLER_HEALTH_FILE": str(proxy.log.parent / "health.json")}
    return subprocess.run(
        [sys.executable, "-m", "strangler.cli", "healthcheck"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


ACCEPT_SETTLE = 0.5
"""After SIGTERM, the workers close their listeners at their next tick (0.1 s)."""


def _readyz_until_closed(client: httpx.Client) -> list[str]:
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            reply = client.get("/_strangler/readyz")
        except httpx.TransportError:
            break
        seen.append(reply.json()["status"])
        time.sleep(0.05)
    return seen


def _status_of(connection: http.client.HTTPConnection) -> int:
    try:
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def test_workers_drain_and_exit_when_their_master_is_killed(proxy: Proxy) -> None:
    workers = proxy.workers()
    assert len(workers) == 2
    os.kill(proxy.process.pid, signal.SIGKILL)
    proxy.process.wait(10)
    # No orphan keeps serving on the socket: Linux tells each worker its master died.
    deadline = time.monotonic() + 20
    while not all(process_gone(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its master"
        time.sleep(0.1)
    with pytest.raises(httpx.TransportError):
        httpx.get(proxy.url + "/echo", timeout=5)
