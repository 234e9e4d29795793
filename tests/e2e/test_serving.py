"""`strangler serve proxy --workers 2` stopping and restarting under load, on a foreign app.

Real processes over loopback: the small upstream app of `tests.support.upstreams`
as legacy, the proxy under `strangler serve` (its own master and spawned workers),
real Redis for the counters. SIGHUP restarts the workers with zero failed requests;
SIGTERM finishes requests in flight, refuses new connections without hanging, closes
WebSockets with 1001, and the master exits 0. The status API counts every request.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import websockets.sync.client

from strangler.children import spawn, stop_group
from strangler.embedded_db import free_port
from tests.support.servers import REPO_ROOT, RunningServer, run_app

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROUTES = """\
version: 1
upstreams:
  legacy: {url: "http://127.0.0.1:9"}
  modern: {url: "http://127.0.0.1:9"}
routes:
  - {id: echo, methods: [GET], path: /echo, stage: legacy}
  - {id: slow, methods: [GET], path: /slow, stage: legacy}
  - {id: socket, path: /ws/echo, websocket: true, stage: legacy}
"""
LOAD_THREADS = 4


@dataclass
class Proxy:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> set[int]:
        """The master's spawned worker processes (not multiprocessing's resource tracker)."""
        found = set()
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"spawn_main" in cmdline:
                    found.add(int(pid))
        return found


@dataclass
class Load:
    """Requests on fresh connections from a few threads until stopped; counts outcomes."""

    url: str
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        host, port = self.url.removeprefix("http://").split(":")
        while not self.stop.is_set():
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                connection.request("GET", "/echo", headers={"Connection": "close"})
                reply = connection.getresponse()
                reply.read()
                outcome = None if reply.status == 200 else f"status {reply.status}"
            except OSError as exc:
                outcome = repr(exc)
            finally:
                connection.close()
            with self.lock:
                if outcome is None:
                    self.ok += 1
                else:
                    self.failures.append(outcome)


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    with run_app("tests.support.upstreams:app", env={"UPSTREAM_NAME": "legacy"}) as server:
        yield server


@pytest.fixture
def proxy(
    upstream: RunningServer, redis_url: str, redis_prefix: str, tmp_path: Path
) -> Iterator[Proxy]:
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES)
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STRANGLER_ROUTES": str(routes),
           "LEGACY_URL": upstream.url, "MODERN_URL": upstream.url, "REDIS_URL": redis_url,
           "REDIS_KEY_PREFIX": redis_prefix, "STRANGLER_ADMIN_TOKEN": "",
           "STRANGLER_HEALTH_FILE": str(tmp_path / "health.json")}  # fmt: skip
    log = tmp_path / "proxy.log"
    with log.open("wb") as output:
        process = spawn(
            [sys.executable, "-m", "strangler.cli", "serve", "proxy", "--port", str(port),
             "--workers", "2", "--drain-timeout", "10"],
            env=env, cwd=REPO_ROOT, output=output,
        )  # fmt: skip
    running = Proxy(process, port, log)
    try:
        _wait_for(lambda: _answers(running.url + "/_strangler/readyz"), 60, running)
        yield running
    finally:
        stop_group(process)


def test_sighup_restarts_the_workers_under_load_without_a_failed_request(proxy: Proxy) -> None:
    before = proxy.workers()
    assert len(before) == 2
    load = Load(proxy.url)
    threads = [threading.Thread(target=load.run) for _ in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        os.kill(proxy.process.pid, signal.SIGHUP)
        # The restart is done when two new workers serve and the old ones have exited.
        _wait_for(lambda: len(proxy.workers()) == 2 and not proxy.workers() & before, 60, proxy)
        time.sleep(1.0)  # keep the load on the new workers for a moment
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(15)
    assert load.failures == []
    assert load.ok > 50  # the load really ran across the restart
    # Every request is counted once, whichever worker (old or new) answered it.
    _wait_for(lambda: _total(proxy, "echo") == load.ok, 10, proxy)

    os.kill(proxy.process.pid, signal.SIGTERM)
    assert proxy.process.wait(30) == 0


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


def _total(proxy: Proxy, route_id: str) -> int:
    status = httpx.get(proxy.url + "/_strangler/api/status", timeout=5).json()
    (route,) = [r for r in status["routes"] if r["id"] == route_id]
    return int(route["requests"]["total"])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _wait_for(condition: object, timeout: float, proxy: Proxy) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if proxy.process.poll() is not None:
            raise AssertionError(f"proxy exited: {proxy.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; proxy log: {proxy.log.read_text()[-3000:]}")
        time.sleep(0.1)
