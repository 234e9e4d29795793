"""SIGHUP on `strangler serve proxy --workers 2`: new workers, then the old ones drain.

Under a steady load on fresh connections (real Redis, a foreign upstream), no
request fails across the restart, the workers really are new processes, every
request is counted once in the status API, and a SIGTERM afterwards exits 0.
`strangler restart` sends the signal and reports the outcome; a restart whose new
workers cannot start (a broken routes.yaml) is abandoned and the old workers serve on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

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
        restarted = _strangler_restart(proxy)
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


def test_a_restart_whose_workers_cannot_start_is_abandoned(proxy: Proxy) -> None:
    before = proxy.workers()
    routes = proxy.log.parent / "routes.yaml"
    routes.write_text(routes.read_text().replace("stage: legacy", "stage: sideways"))
    abandoned = _strangler_restart(proxy)
    assert abandoned.returncode == 1 and "restart abandoned" in abandoned.stderr
    assert proxy.workers() == before  # the old workers serve on
    assert httpx.get(proxy.url + "/echo", timeout=10).status_code == 200


def _strangler_restart(proxy: Proxy) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STRANGLER_HEALTH_FILE": str(proxy.log.parent / "health.json")}
    return subprocess.run(
        [sys.executable, "-m", "strangler.cli", "restart", "--timeout", "90"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
