"""`--reuse-port`: a second master listens beside the first; without it, a clear refusal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.serving.proxies import run_proxy, status
from tests.support.servers import REPO_ROOT, RunningServer

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_a_second_master_shares_the_port_and_takes_over(
    upstream: RunningServer, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    reuse = ["--reuse-port"]
    with run_proxy(upstream, redis_url, redis_prefix, tmp_path / "old", options=reuse) as old:
        taken = subprocess.run(
            [sys.executable, "-m", "strangler.cli", "serve", "proxy", "--port", str(old.port)],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert taken.returncode == 1 and "cannot listen on" in taken.stderr
        with run_proxy(
            upstream, redis_url, redis_prefix, tmp_path / "new", port=old.port, options=reuse
        ) as new:
            # Fresh connections are spread over both masters' workers by the kernel.
            answered = {_answering_pid(new.url) for _ in range(40)}
            assert answered & old.workers() and answered & new.workers()
            os.kill(old.process.pid, signal.SIGTERM)
            assert old.process.wait(30) == 0
            # The new master alone serves the port now.
            assert httpx.get(new.url + "/echo", timeout=10).status_code == 200
            assert sum(status(new)["instances"]["revisions"].values()) == 2


def _answering_pid(url: str) -> int:
    reply = httpx.get(url + "/_strangler/api/status", headers={"Connection": "close"}, timeout=10)
    return int(reply.json()["worker"]["pid"])
