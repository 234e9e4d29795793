"""Two workers, one Redis: every worker reports the same totals and reloads together."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.proxy.conftest import (
    Proxy,
    Upstreams,
    client,
    fresh_connections,
    routes_yaml,
    run_proxy,
)

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def workers(
    upstreams: Upstreams, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Proxy, str]]:
    import uuid

    import redis

    prefix = f"strangler-test:{uuid.uuid4().hex[:12]}:"
    path = tmp_path_factory.mktemp("workers") / "routes.yaml"
    text = routes_yaml(upstreams.legacy.url, upstreams.modern.url)
    env = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix}
    try:
        with run_proxy(path, text, env=env, workers=2) as running:
            yield running, prefix
    finally:
        r = redis.Redis.from_url(redis_url)
        keys = list(r.scan_iter(match=prefix + "*"))
        if keys:
            r.delete(*keys)
        r.close()


def fresh_status(http: httpx.Client, proxy: Proxy) -> dict[str, object]:
    """api/status over a new connection, so either worker may answer."""
    return dict(http.get(proxy.url + "/_strangler/api/status").json())


def test_every_worker_reports_the_shared_totals(workers: tuple[Proxy, str]) -> None:
    proxy, _ = workers
    http = fresh_connections()  # a new connection each time: both workers serve
    for n in range(60):
        assert http.get(proxy.url + ("/echo" if n % 2 else "/api/modern")).status_code == 200
    seen: dict[int, dict[str, int]] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (len(seen) < 2 or not all(
        counts == {"legacy": 30, "modern": 30} for counts in seen.values()
    )):  # fmt: skip
        status = fresh_status(http, proxy)
        routes = {r["id"]: r for r in status["routes"]}  # type: ignore[attr-defined]
        seen[status["worker"]["pid"]] = {  # type: ignore[index]
            "legacy": routes["echo"]["requests"]["legacy"],
            "modern": routes["on-modern"]["requests"]["modern"],
        }
        time.sleep(0.1)
    assert len(seen) == 2, "both workers should have answered api/status"
    assert all(counts == {"legacy": 30, "modern": 30} for counts in seen.values()), seen
    with client() as http:
        metrics = http.get(proxy.url + "/_strangler/metrics").text
    assert 'strangler_proxy_requests_total{route="echo",target="legacy"} 30.0' in metrics


def test_an_api_reload_reaches_every_worker(
    workers: tuple[Proxy, str], upstreams: Upstreams
) -> None:
    proxy, _ = workers
    text = routes_yaml(upstreams.legacy.url, upstreams.modern.url).replace(
        "{id: redirect, path: /redirect, stage: legacy}",
        "{id: redirect, path: /redirect, stage: shadow}",
    )
    proxy.routes.write_text(text)
    with client() as http:
        outcome = http.post(proxy.url + "/_strangler/api/reload").json()
    assert outcome["result"] in ("applied", "unchanged")
    revisions: dict[int, str] = {}
    deadline = time.monotonic() + 15
    http = fresh_connections()
    while time.monotonic() < deadline:
        status = fresh_status(http, proxy)
        revisions[status["worker"]["pid"]] = status["config"]["revision"]  # type: ignore[index]
        if len(revisions) == 2 and set(revisions.values()) == {outcome["revision"]}:
            break
        time.sleep(0.05)
    assert set(revisions.values()) == {outcome["revision"]} and len(revisions) == 2


def test_redis_counters_survive_in_redis(workers: tuple[Proxy, str], redis_url: str) -> None:
    import redis

    proxy, prefix = workers
    httpx.get(proxy.url + "/echo")
    time.sleep(1.2)  # one flush interval of the answering worker, with margin
    r = redis.Redis.from_url(redis_url)
    try:
        assert int(r.hget(prefix + "proxy:requests", "echo|legacy") or 0) >= 1
    finally:
        r.close()
