"""Run one of our ASGI apps under uvicorn in a child process, on a free loopback port.

Tests talk to real servers over real sockets. Each server is its own process (as in
production), gets its configuration from environment variables only, and is stopped
with its whole process group when the test ends, pass or fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from strangler.children import spawn, stop_group
from strangler.embedded_db import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class RunningServer:
    """A uvicorn child process: where it listens and how to reach it."""

    url: str
    port: int
    pid: int

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")


@dataclass(frozen=True)
class Upstreams:
    """The two servers a proxy sits in front of."""

    legacy: RunningServer
    modern: RunningServer


@contextmanager
def run_app(
    app: str,
    *,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/healthz",
    workers: int = 1,
    port: int | None = None,
    factory: bool = False,
    ready_timeout: float = DEFAULT_READY_TIMEOUT,
    http: str | None = None,
) -> Iterator[RunningServer]:
    """Start `uvicorn <app>` and yield once `ready_path` answers any HTTP status.

    `http` is uvicorn's `--http` (e.g. the proxy's own `proxy.edge:EdgeProtocol`).
    """
    port = port if port is not None else free_port()
    command = [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    if factory:
        command.append("--factory")
    if http is not None:
        command += ["--http", http]
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = spawn(command, env=child_env, cwd=REPO_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url + ready_path, ready_timeout)
        yield RunningServer(url=url, port=port, pid=process.pid)
    finally:
        stop_group(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f}s") from None
            time.sleep(0.05)
