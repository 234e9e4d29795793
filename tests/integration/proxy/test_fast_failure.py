"""Fast failure and honest health, on real processes: a modern frozen with SIGSTOP.

A pair of the tiny test apps (legacy, modern) runs under uvicorn as child processes
of this module, so freezing modern touches no other test; each test starts its own
proxy over them, with a private redis-server, so what the status API reports went
through the real shared counters. Time bounds are generous: they separate "waited
for modern's timeout" from "did not", not fast machines from slow ones.
"""

from __future__ import annotations

import os
import signal
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.integration.proxy.conftest import Proxy, Upstreams, client, run_proxy, upstream_pair
from tests.support.private_redis import private_redis
from tests.support.servers import RunningServer

DEADLINE = 4.0  # the routes' timeout: the whole request, fallback included
BUDGET = 0.5  # modern's share of it on a fallback route: 2 s
COOLDOWN = 4.0  # long enough that no half-open probe lands among the "fast" checks


@pytest.fixture(scope="module")
def pair() -> Iterator[Upstreams]:
    """A legacy and a modern of this module's own: freezing this modern is harmless."""
    with upstream_pair() as running:
        yield running


@pytest.fixture
def redis_of_its_own() -> Iterator[str]:
    """A redis-server of the test's own: the shared counters start empty."""
    with private_redis() as server:
        yield server.url


def routes(pair: Upstreams) -> str:
    return textwrap.dedent(f"""\
        version: 1
        upstreams:
          legacy: {{url: {pair.legacy.url!r}, timeout: {DEADLINE}}}
          modern:
            url: {pair.modern.url!r}
            timeout: {DEADLINE}
            breaker: {{failures: 2, cooldown: {COOLDOWN}}}
            health: {{path: /healthz, timeout: 0.3}}
        routes:
          - {{id: fb, path: /api/fb, stage: modern, fallback: legacy, timeout: {DEADLINE},
             fallback_budget: {BUDGET}}}
          - {{id: only-modern, path: /api/only-modern, stage: modern, timeout: {DEADLINE}}}
          - {{id: slow-both, path: /slow, stage: modern, fallback: legacy, timeout: 2}}
        """)


@contextmanager
def proxy_over(pair: Upstreams, redis_url: str, tmp_path: Path) -> Iterator[Proxy]:
    env = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": "failfast:"}
    with run_proxy(tmp_path / "routes.yaml", routes(pair), env=env) as running:
        yield running


@contextmanager
def frozen(server: RunningServer) -> Iterator[None]:
    """SIGSTOP the server's whole process group; SIGCONT it whatever happens."""
    os.killpg(server.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(server.pid, signal.SIGCONT)


def timed_get(http: httpx.Client, url: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    reply = http.get(url)
    return reply, time.monotonic() - started


def route_status(http: httpx.Client, proxy: Proxy, route_id: str) -> dict[str, object]:
    status = http.get(proxy.url + "/_strangler/api/status").json()
    return next(r for r in status["routes"] if r["id"] == route_id)


def test_a_frozen_modern_costs_a_share_of_the_deadline_then_nothing(
    pair: Upstreams, redis_of_its_own: str, tmp_path: Path
) -> None:
    share = DEADLINE * BUDGET
    with proxy_over(pair, redis_of_its_own, tmp_path) as proxy, client() as http:
        assert http.get(proxy.url + "/api/fb").headers["x-upstream"] == "modern"
        assert http.get(proxy.url + "/_strangler/readyz").status_code == 200
        with frozen(pair.modern):
            # Two at once, while the breaker is closed: each waits modern's share of the
            # deadline (not its own timeout), then legacy answers within the deadline.
            with ThreadPoolExecutor(2) as pool:
                first = list(pool.map(lambda _: timed_get(http, proxy.url + "/api/fb"), range(2)))
            for reply, elapsed in first:
                assert reply.status_code == 200 and reply.headers["x-upstream"] == "legacy"
                assert share - 0.1 <= elapsed < DEADLINE
            # Two failures opened modern's breaker: legacy answers at its own pace.
            for _ in range(5):
                reply, elapsed = timed_get(http, proxy.url + "/api/fb")
                assert reply.status_code == 200 and reply.headers["x-upstream"] == "legacy"
                assert elapsed < share / 2, elapsed
            # A route with no fallback fails fast, generically, with a request id.
            reply, elapsed = timed_get(http, proxy.url + "/api/only-modern")
            assert reply.status_code == 503 and elapsed < share / 2
            error = reply.json()["error"]
            assert error["code"] == "upstream_unavailable"
            assert error["request_id"] == reply.headers["x-request-id"]
            assert "127.0.0.1" not in error["message"]
            # Readiness sees the hang: the process still accepts connections.
            ready, elapsed = timed_get(http, proxy.url + "/_strangler/readyz")
            assert ready.status_code == 503 and elapsed < share
            status = http.get(proxy.url + "/_strangler/api/status").json()
            health = status["upstream_health"]
            assert health["legacy"]["healthy"] is True
            assert health["modern"]["healthy"] is False
            assert health["modern"]["breaker"]["state"] == "open"
            fb = next(r for r in status["routes"] if r["id"] == "fb")
            # Users saw no error on the fallback route; what fallback absorbed is apart.
            assert fb["errors_by_code"] == {} and fb["errors"] == 0
            assert fb["absorbed_by_fallback"] == {"modern": {"504": 2, "circuit_open": 5}}
            assert fb["fallbacks"] == 7 and fb["requests"] == {
                "legacy": 7, "modern": 1, "total": 8
            }  # fmt: skip
            only = next(r for r in status["routes"] if r["id"] == "only-modern")
            assert only["errors_by_code"] == {"503": 1}
            metrics = http.get(proxy.url + "/_strangler/metrics").text
            assert (
                'strangler_proxy_absorbed_by_fallback_total{code="504",route="fb",target="modern"}'
                " 2.0" in metrics
            )
            assert (
                'strangler_proxy_circuit_breaker_state{state="open",upstream="modern"} 1.0'
                in metrics
            )
            assert 'strangler_proxy_upstream_healthy{upstream="modern"} 0.0' in metrics
        # Thawed: after the cool-down one request probes modern, which answers and
        # closes the breaker; readiness follows once its cached probe expires.
        give_up = time.monotonic() + COOLDOWN + 10
        while http.get(proxy.url + "/api/fb").headers["x-upstream"] != "modern":
            assert time.monotonic() < give_up, "modern never came back"
            time.sleep(0.2)
        assert http.get(proxy.url + "/api/only-modern").headers["x-upstream"] == "modern"
        while http.get(proxy.url + "/_strangler/readyz").status_code != 200:
            assert time.monotonic() < give_up, "readiness never came back"
            time.sleep(0.2)


def test_the_deadline_covers_fallback_when_both_upstreams_hang(
    pair: Upstreams, redis_of_its_own: str, tmp_path: Path
) -> None:
    # /slow hangs on both sides: modern gets half of the 2 s deadline, legacy the rest,
    # and the user gets a 504 at the deadline, not after modern's timeout plus legacy's.
    with proxy_over(pair, redis_of_its_own, tmp_path) as proxy, client() as http:
        reply, elapsed = timed_get(http, proxy.url + "/slow?seconds=6")
        assert reply.status_code == 504 and reply.json()["error"]["code"] == "upstream_timeout"
        assert 1.9 <= elapsed < 3.5, elapsed
        slow = route_status(http, proxy, "slow-both")
        assert slow["errors_by_code"] == {"504": 1}  # what the user saw: legacy's timeout
        assert slow["absorbed_by_fallback"] == {"modern": {"504": 1}}
