"""Redis frozen under traffic: counts (traffic and shadow outcomes) stay exact, and
api/status answers in time (its every Redis wait within its budget, `proxy.counters.limit`).

The proxy (two uvicorn workers) talks to a private `redis-server` with a client
socket timeout of 1 s; the test freezes that server with SIGSTOP for 3 s while
requests go on. Before idempotent flushes, every batch sent into the freeze was
applied when Redis woke up *and* sent again by the worker that had given up waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import redis
import redis.asyncio

from proxy.counters import budget, limit
from proxy.shadow.outcomes import OUTCOMES
from tests.integration.proxy.conftest import (
    BASE_ROUTES,
    Proxy,
    Upstreams,
    fresh_connections,
    routes_yaml,
    run_proxy,
)
from tests.support.private_redis import PrivateRedis, private_redis

PREFIX = "faults:"
SOCKET_TIMEOUT = 1.0
FREEZE = 3.0  # longer than the socket timeout and than one flush's own bound (2 s)
STATUS_BOUND = 1.0
SHADOWED = "  - {id: shadowed, path: /echo/shadowed, stage: shadow}\n"


def send(http: httpx.Client, proxy: Proxy, n: int) -> int:
    """n requests to /echo (traffic counters) and n to a shadowed route (outcomes)."""
    for _ in range(n):
        assert http.get(proxy.url + "/echo").status_code == 200
        assert http.get(proxy.url + "/echo/shadowed").status_code == 200
    return n


def outcomes_counted(url: str, wanted: int, timeout: float = 15) -> int:
    """Every mirrored request ends in exactly one outcome; their sum, once it settles."""
    shared = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            counts = shared.hgetall(PREFIX + "shadow:shadowed:counts")
            total = sum(int(counts.get(name.encode(), 0)) for name in OUTCOMES)
            if total >= wanted or time.monotonic() > deadline:
                return total
            time.sleep(0.1)
    finally:
        shared.close()


def counted(http: httpx.Client, proxy: Proxy) -> tuple[int, bool]:
    status = http.get(proxy.url + "/_strangler/api/status").json()
    echo = next(route for route in status["routes"] if route["id"] == "echo")
    return int(echo["requests"]["legacy"]), bool(status["partial"])


def wait_for_count(http: httpx.Client, proxy: Proxy, wanted: int, timeout: float = 15) -> int:
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        seen, partial = counted(http, proxy)
        if seen >= wanted and not partial:
            return seen
        time.sleep(0.1)
    return seen


def test_a_redis_freeze_loses_and_doubles_no_count(upstreams: Upstreams, tmp_path: Path) -> None:
    text = routes_yaml(upstreams.legacy.url, upstreams.modern.url, BASE_ROUTES + SHADOWED)
    with private_redis() as server:
        env = {
            "REDIS_URL": f"{server.url}?socket_timeout={SOCKET_TIMEOUT}",
            "REDIS_KEY_PREFIX": PREFIX,
        }
        with run_proxy(tmp_path / "routes.yaml", text, env=env, workers=2) as proxy:
            http = fresh_connections()  # a new connection per request: both workers count
            sent = send(http, proxy, 40)
            assert wait_for_count(http, proxy, sent) == sent

            server.freeze()
            try:
                frozen_at = time.monotonic()
                sent += send(http, proxy, 40)
                answers = []
                for _ in range(3):
                    started = time.monotonic()
                    during, partial = counted(http, proxy)
                    answers.append((time.monotonic() - started, partial, during))
                time.sleep(max(0.0, FREEZE - (time.monotonic() - frozen_at)))
            finally:
                server.thaw()
            for elapsed, partial, during in answers:
                assert elapsed < STATUS_BOUND, answers
                assert partial, answers
                # One worker's view (the totals it last read plus its own since): never more.
                assert 0 < during <= sent, answers

            sent += send(http, proxy, 20)
            assert wait_for_count(http, proxy, sent) == sent
            time.sleep(2.0)  # a batch sent twice would have landed by now
            assert counted(http, proxy) == (sent, False)
            shared = redis.Redis.from_url(server.url)
            try:
                assert int(shared.hget(PREFIX + "proxy:requests", "echo|legacy") or 0) == sent
            finally:
                shared.close()
            assert outcomes_counted(server.url, sent) == sent


SLOW_SOCKET = 5.0  # the client's own timeout: what a wait the budget does not cut costs
TIGHT_BUDGET = 0.3
MARGIN = 0.5  # far below SLOW_SOCKET, so timing noise cannot flip the verdict


async def spent_before_it_starts(client: redis.asyncio.Redis, server: PrivateRedis) -> None:
    """An earlier read used the budget up; this one finds an idle connected connection,
    so its write completes at once (where Python 3.11's wait_for dropped the cancel)."""
    await client.ping()
    server.freeze()
    await asyncio.sleep(TIGHT_BUDGET + 0.05)
    async with limit(SLOW_SOCKET):
        await client.get("k")


async def cancelled_while_watching(client: redis.asyncio.Redis, server: PrivateRedis) -> None:
    """The deadline lands while a pipeline WATCHes: redis-py's cleanup sends UNWATCH."""
    async with limit(SLOW_SOCKET), client.pipeline(transaction=True) as pipe:
        await pipe.watch("k")
        server.freeze()
        await pipe.get("k")


Exchange = Callable[[redis.asyncio.Redis, PrivateRedis], Awaitable[None]]


@pytest.mark.parametrize("exchange", [spent_before_it_starts, cancelled_while_watching])
def test_a_frozen_redis_costs_a_budget_its_length_and_no_more(exchange: Exchange) -> None:
    async def scenario(server: PrivateRedis) -> float:
        client = redis.asyncio.Redis.from_url(f"{server.url}?socket_timeout={SLOW_SOCKET}")
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            with budget(TIGHT_BUDGET), pytest.raises(redis.exceptions.TimeoutError):
                await exchange(client, server)
            elapsed = loop.time() - started
        finally:
            server.thaw()
        assert await client.get("k") is None  # no stale reply left for the next caller
        await client.aclose()
        return elapsed

    with private_redis() as server:
        assert asyncio.run(scenario(server)) < TIGHT_BUDGET + MARGIN
