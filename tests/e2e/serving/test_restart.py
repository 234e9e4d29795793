"""SIGHUP on `strangler serve proxy --workers 2`: new workers, then the old ones drain.

Under a steady load on fresh connections (real Redis, a foreign upstream), no
request fails across the restart, the workers really are new processes, every
request is counted once in the status API, and a SIGTERM afterwards exits 0.
"""

from __future__ import annotations

import os
import signal
import threading
import time

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
        os.kill(proxy.process.pid, signal.SIGHUP)
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
