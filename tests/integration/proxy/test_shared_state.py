"""Two workers, one Redis: every worker reports the same totals and reloads together.

One proxy with two uvicorn workers serves the whole check (starting one costs
seconds), so the steps run in order inside a single test.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import redis

from tests.integration.proxy.conftest import (
    Proxy,
    Upstreams,
    fresh_connections,
    routes_yaml,
    run_proxy,
)
from tests.integration.proxy.workers import hide_from_the_watch, status_of, workers_serving

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


def every_worker_reports_the_shared_totals(http: httpx.Client, proxy: Proxy) -> None:
    for n in range(60):
        assert http.get(proxy.url + ("/echo" if n % 2 else "/api/modern")).status_code == 200
    wanted = {"legacy": 30, "modern": 30}
    seen: dict[int, dict[str, int]] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (
        len(seen) < 2 or any(counts != wanted for counts in seen.values())
    ):
        status = status_of(http, proxy)
        routes = {r["id"]: r for r in status["routes"]}  # type: ignore[attr-defined]
        seen[status["worker"]["pid"]] = {  # type: ignore[index]
            "legacy": routes["echo"]["requests"]["legacy"],
            "modern": routes["on-modern"]["requests"]["modern"],
        }
        time.sleep(0.1)
    assert len(seen) == 2, "both workers should have answered api/status"
    assert all(counts == wanted for counts in seen.values()), seen
    metrics = http.get(proxy.url + "/_strangler/metrics").text  # either worker: both say 30
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
    # The worker that does not answer the POST can only learn of it through Redis.
    hide_from_the_watch(proxy.routes, text)
    outcome = http.post(proxy.url + "/_strangler/api/reload").json()
    assert outcome["result"] == "applied"
    assert len(workers_serving(http, proxy, outcome["revision"], set(), timeout=15)) == 2
