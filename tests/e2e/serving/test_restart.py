"""SIGHUP on `strangler serve proxy --workers 2`: new workers, then the old ones drain.

Under a steady load on fresh connections (real Redis, a foreign upstream), no
request fails across the restart, the workers really are new processes, every
request is counted once in the status API, and a SIGTERM afterwards exits 0.
`strangler restart` sends the signal and reports the outcome; a restart whose new
workers cannot start is abandoned and the old workers serve on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from strangler.children import spawn, stop_group
from strangler.embedded_db import free_port
from tests.e2e.serving.proxies import LOAD_THREADS, Load, Proxy, total, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_sighup_restarts_the_workers_under_load_without_a_failed_request(proxy: Proxy) -> None:
    before = proxy.workers()
    assert len(before) == 2
    load = Load(proxy.url)
    threads = [threading.Thread(target=load.run) for _ in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        restarted = _strangler_restart(proxy.log.parent / "health.json")
        assert restarted.returncode == 0, restarted.stderr
        assert "restarted: 2 new worker(s) serving proxy.app:app" in restarted.stdout
        # The restart is done when two new workers serve and the old ones have exited.
        wait_for(lambda: len(proxy.workers()) == 2 and not proxy.workers() & before, 60, proxy)
        time.sleep(1.0)  # keep the load on the new workers for a moment
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(15)
    assert load.failures == []
    assert load.ok > 50  # the load really ran across the restart
    # Every request is counted once, whichever worker (old or new) answered it.
    wait_for(lambda: total(proxy, "echo") == load.ok, 10, proxy)

    os.kill(proxy.process.pid, signal.SIGTERM)
    assert proxy.process.wait(30) == 0


def test_a_restart_whose_workers_cannot_start_is_abandoned(tmp_path: Path) -> None:
    """Any app under `strangler.serving`: new workers that fail their start-up leave
    the old ones serving, and `strangler restart` says the restart was abandoned."""
    (tmp_path / "fickle.py").write_text(FICKLE_APP)
    marker, health = tmp_path / "fail-start", tmp_path / "health.json"
    port = free_port()
    runner = (
        "import sys, uvicorn; from pathlib import Path;"
        "from strangler.serving import Served, serve;"
        f"sys.exit(serve(Served(config=uvicorn.Config('fickle:app', port={port}, lifespan='on',"
        f" log_level='warning'), workers=2, health_path='/', health_file=Path({str(health)!r}))))"
    )
    env = {**os.environ, "FAIL_START_IF": str(marker)}
    with (tmp_path / "serve.log").open("wb") as log:
        master = spawn([sys.executable, "-c", runner], env=env, cwd=tmp_path, output=log)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while not health.exists():
            assert master.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.1)
        serving = {httpx.get(url, headers={"Connection": "close"}).text for _ in range(20)}
        marker.touch()  # from now on a worker's start-up fails
        abandoned = _strangler_restart(health)
        assert abandoned.returncode == 1 and "restart abandoned" in abandoned.stderr
        assert {httpx.get(url, headers={"Connection": "close"}).text for _ in range(20)} <= serving
        marker.unlink()
        restarted = _strangler_restart(health)
        assert restarted.returncode == 0, restarted.stderr
        after = {httpx.get(url, headers={"Connection": "close"}).text for _ in range(20)}
        assert after and not after & serving  # new workers (their pids) answer now
        os.kill(master.pid, signal.SIGTERM)
        assert master.wait(30) == 0
    finally:
        stop_group(master)


FICKLE_APP = """\
import os


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if os.path.exists(os.environ["FAIL_START_IF"]):
                    await send({"type": "lifespan.startup.failed", "message": "told to"})
                    return
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})
"""


def _strangler_restart(health: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STRANGLER_HEALTH_FILE": str(health)}
    return subprocess.run(
        [sys.executable, "-m", "strangler.cli", "restart", "--timeout", "90"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
