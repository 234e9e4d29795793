"""A `redis-server` of a test's own on a free loopback port, for tests that make Redis fail.

Tests that freeze (SIGSTOP) or kill Redis must never do it to the shared server;
this one lives in a temporary directory, persists nothing, and is stopped when the
test ends, pass or fail (also if it was left frozen).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import redis

from strangler.children import spawn, stop_group
from strangler.embedded_db import free_port


@dataclass(frozen=True)
class PrivateRedis:
    url: str
    pid: int

    def freeze(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.pid, signal.SIGCONT)


@contextmanager
def private_redis(ready_timeout: float = 10.0) -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="strangler-redis-") as workdir:
        command = [
            binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
            "--appendonly", "no", "--dir", workdir,
        ]  # fmt: skip
        process = spawn(command, output=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            _wait_ready(process, url, ready_timeout)
            yield PrivateRedis(url, process.pid)
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            stop_group(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    try:
        while True:
            try:
                client.ping()
                return
            except redis.RedisError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server at {url} did not start") from None
                time.sleep(0.05)
    finally:
        client.close()
