"""The counter writer: each batch counted once, Redis calls bounded, one warning per outage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import pytest
import redis.exceptions

from proxy.counters import FLUSH_TIMEOUT, Batch, CounterWriter, budget, limit
from proxy.shadow.outcomes import OutcomeStore
from tests.unit.proxy.flaky_redis import FlakyRedis

log = logging.getLogger("test.counters")


def batch_of(n: int) -> Batch:
    batch = Batch()
    batch.hincrby("t:hits", "a", n)
    batch.push("t:samples", [str(n)], 3)
    return batch


def test_an_attempt_redis_runs_late_does_not_count_again() -> None:
    async def scenario() -> None:
        redis_ = FlakyRedis()
        writer = CounterWriter(redis_, "t:", "test", log=log)
        redis_.hold = True
        with pytest.raises(redis.exceptions.TimeoutError):
            await writer.flush(lambda: batch_of(5))
        assert writer.in_doubt is not None
        await writer.flush(lambda: batch_of(99))  # the same batch again, not a new one
        assert writer.in_doubt is None
        (late,) = redis_.held
        with pytest.raises(redis.exceptions.WatchError):
            await late()  # its WATCH sees the marker moved: nothing applied
        assert await redis_.hget("t:hits", "a") == b"5"
        assert await redis_.lrange("t:samples", 0, -1) == [b"5"]
        await writer.flush(lambda: batch_of(2))
        assert await redis_.hget("t:hits", "a") == b"7"
        assert await redis_.lrange("t:samples", 0, -1) == [b"2", b"5"]

    asyncio.run(scenario())


def test_one_warning_per_outage_and_one_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        redis_ = FlakyRedis()
        writer = CounterWriter(redis_, "t:", "test", log=log)
        redis_.down = True
        for _ in range(5):
            with pytest.raises(redis.exceptions.ConnectionError):
                await writer.flush(lambda: batch_of(1))
        redis_.down = False
        await writer.flush(lambda: batch_of(1))
        await writer.flush(lambda: batch_of(1))
        assert await redis_.hget("t:hits", "a") == b"2"

    with caplog.at_level(logging.WARNING, logger="test.counters"):
        asyncio.run(scenario())
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert "Redis did not answer" in lines[0] and "Redis answers again" in lines[1]


def test_a_budget_bounds_a_stalled_redis() -> None:
    class Stalled(FlakyRedis):
        def pipeline(self, transaction: bool = True, shard_hint: object = None) -> object:
            pipe = super().pipeline(transaction, shard_hint)

            async def stall(*args: object, **kwargs: object) -> None:
                await asyncio.sleep(30)

            pipe.watch = stall  # type: ignore[method-assign]
            return pipe

    async def scenario() -> float:
        writer = CounterWriter(Stalled(), "t:", "test", log=log)
        started = time.monotonic()
        with budget(0.2), pytest.raises(redis.exceptions.TimeoutError):
            await writer.flush(lambda: batch_of(1))
        assert writer.in_doubt is not None  # kept whole for the next flush
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 5


def test_a_lost_cancel_costs_a_moment_not_a_socket_timeout() -> None:
    """On Python 3.11, `asyncio.wait_for` (redis-py's every write) drops a cancel that
    lands as the write completes; redis-py then waits for the reply a whole socket
    timeout. `limit` cancels again, so the budget still holds."""

    async def loses_one_cancel() -> None:
        # The write: its cancel dropped, as wait_for does when the write completed meanwhile.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(30)
        await asyncio.sleep(30)  # the reply, awaited until the socket timeout

    async def scenario() -> float:
        started = time.monotonic()
        with budget(0.2), pytest.raises(redis.exceptions.TimeoutError):
            async with limit(FLUSH_TIMEOUT):
                await loses_one_cancel()
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0  # every cancel taken back
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 0.2 + 0.5


def test_a_cancel_from_elsewhere_stays_a_cancel() -> None:
    """A task cancelled by someone else (a worker shutting down) is not told "out of time"."""

    async def scenario() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().call_later(0.05, task.cancel)
        async with limit(FLUSH_TIMEOUT):
            await asyncio.sleep(30)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())


def test_shadow_outcomes_keep_an_unconfirmed_batch_in_view_and_count_it_once() -> None:
    async def scenario() -> None:
        redis_ = FlakyRedis()
        store = OutcomeStore(redis_, "t:")
        for _ in range(3):
            store.count("r", "matched")
        store.latency("r", "modern", 0.01)
        redis_.lose_replies = 1
        await store.flush()  # applied, but the worker cannot know: kept in doubt
        assert store.counts("r") == {"matched": 3}  # no dip, no double
        store.count("r", "mismatched")
        await store.flush()  # settles the batch in doubt (Redis has it)
        await store.flush()  # sends the new count
        assert store.counts("r") == {"matched": 3, "mismatched": 1}
        counts, latency = await store.read("r")
        assert counts == {"matched": 3, "mismatched": 1}
        assert latency["modern"] == [0.01]

    asyncio.run(scenario())
