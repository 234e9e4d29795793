"""`strangler serve proxy --workers 2` as a child process, for the serving tests.

The proxy runs in front of the small upstream app of `tests.support.upstreams` (a
foreign app), with its own routes.yaml in a directory of its own, real Redis for the
counters, and its log kept for the assertion messages. `Load` sends requests on
fresh connections from a few threads and counts every outcome.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from strangler.children import spawn, stop_group
from strangler.embedded_db import free_port
from tests.support.servers import REPO_ROOT, RunningServer

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
    """GETs of `paths` in turn, on fresh connections, from a few threads until stopped;
    counts what was sent per path and every outcome that was not a 200."""

    url: str
    paths: Sequence[str] = ("/echo",)
    headers: dict[str, str] = field(default_factory=dict)
    ok: int = 0
    sent: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        host, port = self.url.removeprefix("http://").split(":")
        turn = 0
        while not self.stop.is_set():
            path = self.paths[turn % len(self.paths)]
            turn += 1
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                connection.request("GET", path, headers={**self.headers, "Connection": "close"})
                reply = connection.getresponse()
                reply.read()
                outcome = None if reply.status == 200 else f"status {reply.status}"
            except OSError as exc:
                outcome = repr(exc)
            finally:
                connection.close()
            with self.lock:
                self.sent[path] = self.sent.get(path, 0) + 1
                if outcome is None:
                    self.ok += 1
                else:
                    self.failures.append(outcome)


@contextlib.contextmanager
def run_proxy(
    upstream: RunningServer,
    redis_url: str,
    prefix: str,
    directory: Path,
    *,
    port: int | None = None,
    options: Sequence[str] = (),
    routes_text: str = ROUTES,
    modern: RunningServer | None = None,
) -> Iterator[Proxy]:
    """`strangler serve proxy --workers 2 [options]` with its own routes.yaml in `directory`.

    `upstream` is legacy, `modern` (default: the same server) is modern. Ready once
    the master has written its health file (every worker has started):
    another master on the same port (`--reuse-port`) may answer before this one does.
    """
    directory.mkdir(exist_ok=True)
    routes = directory / "routes.yaml"
    if not routes.exists():
        routes.write_text(routes_text)
    port = port if port is not None else free_port()
    health = directory / "health.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "STRANGLER_ROUTES": str(routes),
           "LEGACY_URL": upstream.url, "MODERN_URL": (modern or upstream).url,
           "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix, "STRANGLER_ADMIN_TOKEN": "",
           "STRANGLER_HEALTH_FILE": str(health)}  # fmt: skip
    log = directory / "proxy.log"
    with log.open("wb") as output:
        process = spawn(
            [sys.executable, "-m", "strangler.cli", "serve", "proxy", "--port", str(port),
             "--workers", "2", "--drain-timeout", "10", *options],
            env=env, cwd=REPO_ROOT, output=output,
        )  # fmt: skip
    running = Proxy(process, port, log)
    try:
        wait_for(lambda: health.exists(), 60, running)
        wait_for(lambda: _answers(running.url + "/_strangler/readyz"), 10, running)
        yield running
    finally:
        stop_group(process)


def status(proxy: Proxy) -> dict[str, Any]:
    return httpx.get(proxy.url + "/_strangler/api/status", timeout=5).json()


def total(proxy: Proxy, route_id: str) -> int:
    (route,) = [r for r in status(proxy)["routes"] if r["id"] == route_id]
    return int(route["requests"]["total"])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(condition: Callable[[], object], timeout: float, proxy: Proxy) -> None:
    """Poll `condition`; fail with the proxy's log if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proxy.process.poll() is not None:
            raise AssertionError(f"proxy exited: {proxy.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; proxy log: {proxy.log.read_text()[-3000:]}")
        time.sleep(0.1)
