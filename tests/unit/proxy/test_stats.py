"""Counters: buffered in-process, flushed with HINCRBY, read back summed."""

from __future__ import annotations

import asyncio

import fakeredis
import pytest
import redis.exceptions as redis_exceptions

from proxy.stats import LATENCY_BUCKETS, MAX_UNMAPPED, Stats, percentile
from tests.unit.proxy.flaky_redis import FlakyRedis


def test_percentile_interpolates_within_a_bucket() -> None:
    counts = [0] * (len(LATENCY_BUCKETS) + 1)
    counts[LATENCY_BUCKETS.index(0.01)] = 100  # all between 5 ms and 10 ms
    assert percentile(counts, 0.5) == 0.0075
    assert percentile([0] * len(counts), 0.5) is None


def test_two_workers_flush_into_the_same_totals() -> None:
    async def scenario() -> None:
        redis = fakeredis.FakeAsyncRedis()
        one, two = Stats(redis, "t:"), Stats(redis, "t:")
        for _ in range(3):
            one.request("list-rooms", "legacy", 0.002)
        two.request("list-rooms", "modern", 0.004)
        two.error("list-rooms", "modern", 502)
        two.fallback("list-rooms")
        await one.flush()
        snap = await two.snapshot()  # flushes its own buffer first
        assert snap.requests == {("list-rooms", "legacy"): 3, ("list-rooms", "modern"): 1}
        assert snap.errors == {("list-rooms", "modern", "502"): 1}
        assert snap.fallbacks == {"list-rooms": 1}
        assert snap.window == {"legacy": 3, "modern": 1}
        assert sum(snap.latency[("list-rooms", "legacy")]) == 3
        assert abs(snap.latency_sum[("list-rooms", "legacy")] - 0.006) < 1e-6

    asyncio.run(scenario())


def counted(redis: FlakyRedis, requests: int) -> Stats:
    """A worker's counters on `redis` holding `requests` legacy answers of route `a`,
    not flushed yet."""
    stats = Stats(redis, "t:")
    for _ in range(requests):
        stats.request("a", "legacy", 0.001)
    return stats


async def in_redis(redis: FlakyRedis) -> bytes | None:
    """The total Redis holds for route `a` on legacy."""
    return await redis.hget("t:proxy:requests", "a|legacy")


@pytest.mark.parametrize(
    ("fault", "requests", "error", "applied"),
    [
        # Refused before sending: nothing applied, the counts wait for the next flush.
        ("down", 1, redis_exceptions.ConnectionError, None),
        # Redis applied the increments but the client gave up waiting: sent again, not
        # recounted.
        ("reply lost", 40, redis_exceptions.TimeoutError, b"40"),
    ],
)
def test_a_failed_flush_is_counted_once_neither_lost_nor_twice(
    fault: str, requests: int, error: type[Exception], applied: bytes | None
) -> None:
    async def scenario() -> None:
        redis = FlakyRedis()
        stats = counted(redis, requests)
        if fault == "down":
            redis.down = True
        else:
            redis.lose_replies = 1
        with pytest.raises(error):
            await stats.flush()
        assert await in_redis(redis) == applied
        stats.request("a", "legacy", 0.001)
        redis.down = False
        await stats.flush()  # the batch in doubt (where Redis has it, nothing is added)
        assert await in_redis(redis) == str(requests).encode()
        await stats.flush()  # the count made meanwhile
        assert await in_redis(redis) == str(requests + 1).encode()

    asyncio.run(scenario())


def test_without_redis_a_snapshot_is_this_workers_view_marked_partial() -> None:
    async def scenario() -> None:
        redis = FlakyRedis()
        one, two = Stats(redis, "t:"), Stats(redis, "t:")
        two.request("a", "modern", 0.001)
        await two.flush()
        one.request("a", "legacy", 0.001)
        assert (await one.snapshot()).requests == {("a", "legacy"): 1, ("a", "modern"): 1}
        one.request("a", "legacy", 0.001)
        redis.down = True
        snap = await one.snapshot()
        assert snap.partial and snap.read_at is not None
        # the shared totals last read, plus this worker's counts since
        assert snap.requests == {("a", "legacy"): 2, ("a", "modern"): 1}
        assert snap.window == {"legacy": 2, "modern": 1}

    asyncio.run(scenario())


def test_unmapped_paths_are_bounded_per_worker() -> None:
    async def scenario() -> None:
        stats = Stats(fakeredis.FakeAsyncRedis(), "t:")
        for n in range(MAX_UNMAPPED + 50):
            stats.unmapped(f"/crawl/{n}x")
        snap = await stats.snapshot()
        assert len(snap.unmapped) == MAX_UNMAPPED + 1
        assert snap.unmapped["(other)"] == 50

    asyncio.run(scenario())
