"""The acceptance run on the worked example: real legacy, real modern, real Redis.

A steady load through `strangler serve proxy --workers 2` with the repository's
routes.yaml: a route modern serves and a route legacy answers while modern is
shadow-compared. SIGHUP restarts the workers with zero failed requests, and the
status API's totals equal the requests sent.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.serving.proxies import LOAD_THREADS, Load, run_proxy, status, wait_for
from tests.support.isolation import fresh_database
from tests.support.servers import REPO_ROOT, RunningServer, run_app

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(scope="module")
def apps(mongo_server_uri: str, redis_url: str) -> Iterator[tuple[RunningServer, RunningServer]]:
    with fresh_database(mongo_server_uri) as mongo_uri:
        env = {"MONGODB_URI": mongo_uri, "REDIS_URL": redis_url,
               "REDIS_KEY_PREFIX": f"restart-{uuid.uuid4().hex[:8]}:"}  # fmt: skip
        with (
            run_app("legacy.app:app", env=env) as legacy,
            run_app("modern.app:app", env=env) as modern,
        ):
            yield legacy, modern


def test_sighup_under_load_on_the_worked_example(
    apps: tuple[RunningServer, RunningServer], redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    legacy, modern = apps
    routes = (REPO_ROOT / "routes.yaml").read_text()
    with run_proxy(
        legacy, redis_url, redis_prefix, tmp_path, routes_text=routes, modern=modern
    ) as proxy:
        name = f"rs_{uuid.uuid4().hex[:8]}"
        registered = httpx.post(
            proxy.url + "/api/auth/register", json={"username": name, "password": "pass-word-1"}
        )
        assert registered.status_code == 201, registered.text
        user = registered.json()
        paths = (f"/api/users/{user['user']['id']}", "/api/rooms")  # modern; legacy + shadow
        load = Load(proxy.url, paths=paths, headers={"Authorization": f"Bearer {user['token']}"})
        threads = [threading.Thread(target=load.run) for _ in range(LOAD_THREADS)]
        before = proxy.workers()
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)
            os.kill(proxy.process.pid, signal.SIGHUP)
            wait_for(lambda: len(proxy.workers()) == 2 and not proxy.workers() & before, 60, proxy)
            time.sleep(1.0)
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(15)
        assert load.failures == []
        assert load.ok > 30
        expected = {"get-user": load.sent[paths[0]], "list-rooms": load.sent[paths[1]]}
        wait_for(lambda: _totals(proxy, expected) == expected, 10, proxy)
        os.kill(proxy.process.pid, signal.SIGTERM)
        assert proxy.process.wait(30) == 0


def _totals(proxy: object, wanted: dict[str, int]) -> dict[str, int]:
    routes = status(proxy)["routes"]  # type: ignore[arg-type]
    return {r["id"]: r["requests"]["total"] for r in routes if r["id"] in wanted}
