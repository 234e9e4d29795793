"""Two workers, one Redis: every worker reports the same totals and reloads together.

One proxy with two uvicorn workers serves the whole check (starting one costs
seconds), so the steps run in order inside a single test.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
import redis

from tests.integration.proxy.conftest import (
    Proxy,
    Upstreams,
    client,
    fresh_connections,
    routes_yaml,
    run_proxy,
)

pytestmark = pytest.mark.redis


def test_two_workers_share_counters_and_reloads(
    upstreams: Upstreams, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    text = routes_yaml(upstreams.legacy.url, upstreams.modern.url)
    env = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": redis_prefix}
    with run_proxy(tmp_path / "routes.yaml", text, env=env, workers=2) as proxy:
        http = fresh_connections()  # a new connection per request: either worker answers
        every_worker_reports_the_shared_totals(http, proxy)
        the_counters_live_in_redis(redis_url, redis_prefix)
        an_api_reload_reaches_every_worker(http, proxy, upstreams)


def status_of_any_worker(http: httpx.Client, proxy: Proxy) -> dict[str, object]:
    return dict(http.get(proxy.url + "/_strangler/api/status").json())


def every_worker_reports_the_shared_totals(http: httpx.Client, proxy: Proxy) -> None:
    for n in range(60):
        assert http.get(proxy.url + ("/echo" if n % 2 else "/api/modern")).status_code == 200
    wanted = {"legacy": 30, "modern": 30}
    seen: dict[int, dict[str, int]] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (
        len(seen) < 2 or any(counts != wanted for counts in seen.values())
    ):
        status = status_of_any_worker(http, proxy)
        routes = {r["id"]: r for r in status["routes"]}  # type: ignore[attr-defined]
        seen[status["worker"]["pid"]] = {  # type: ignore[index]
            "legacy": routes["echo"]["requests"]["legacy"],
            "modern": routes["on-modern"]["requests"]["modern"],
        }
        time.sleep(0.1)
    assert len(seen) == 2, "both workers should have answered api/status"
    assert all(counts == wanted for counts in seen.values()), seen
    with client() as one:
        metrics = one.get(proxy.url + "/_strangler/metrics").text
    assert 'strangler_proxy_requests_total{route="echo",target="legacy"} 30.0' in metrics


def the_counters_live_in_redis(redis_url: str, prefix: str) -> None:
    r = redis.Redis.from_url(redis_url)
    try:
        assert int(r.hget(prefix + "proxy:requests", "echo|legacy") or 0) == 30
    finally:
        r.close()


def an_api_reload_reaches_every_worker(
    http: httpx.Client, proxy: Proxy, upstreams: Upstreams
) -> None:
    text = routes_yaml(upstreams.legacy.url, upstreams.modern.url).replace(
        "{id: redirect, path: /redirect, stage: legacy}",
        "{id: redirect, path: /redirect, stage: shadow}",
    )
    # Same size, same inode, old mtime: the file watches cannot see this edit, so the
    # worker that does not answer the POST can only learn of it through Redis.
    before = os.stat(proxy.routes)
    assert len(text) == before.st_size
    proxy.routes.write_text(text)
    os.utime(proxy.routes, ns=(before.st_atime_ns, before.st_mtime_ns))
    outcome = http.post(proxy.url + "/_strangler/api/reload").json()
    assert outcome["result"] == "applied"
    revisions: dict[int, str] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        status = status_of_any_worker(http, proxy)
        revisions[status["worker"]["pid"]] = status["config"]["revision"]  # type: ignore[index]
        if len(revisions) == 2 and set(revisions.values()) == {outcome["revision"]}:
            break
        time.sleep(0.05)
    assert len(revisions) == 2 and set(revisions.values()) == {outcome["revision"]}
