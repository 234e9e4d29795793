"""The guardrail's canary counts reach Redis through the counter engine: exactly once."""

from __future__ import annotations

import asyncio

import pytest
import redis.exceptions

from proxy.guardrail.window import Recorder, WindowStore
from tests.unit.proxy.flaky_redis import FlakyRedis

INTERVAL = 30.0
NOW = 1_000_000.0


def test_a_flush_redis_applied_but_did_not_confirm_is_not_counted_twice() -> None:
    async def scenario() -> None:
        redis_ = FlakyRedis()
        store, recorder = WindowStore(redis_, "t:"), Recorder()
        for failed in (False, False, True):
            recorder.observe("r", INTERVAL, "modern", failed, 0.01)
        redis_.lose_replies = 1
        with pytest.raises(redis.exceptions.TimeoutError):
            await store.flush(recorder, now=NOW)  # applied; the worker cannot know
        recorder.observe("r", INTERVAL, "legacy", False, 0.01)
        await store.flush(recorder, now=NOW)  # settles the batch in doubt: Redis has it
        await store.flush(recorder, now=NOW)  # then the new count
        counts = await store.read("r", INTERVAL, now=NOW)
        assert (counts.modern.requests, counts.modern.errors) == (3, 1)
        assert counts.legacy.requests == 1

    asyncio.run(scenario())


def test_counts_wait_in_the_worker_while_redis_is_away() -> None:
    async def scenario() -> None:
        redis_ = FlakyRedis()
        store, recorder = WindowStore(redis_, "t:"), Recorder()
        recorder.observe("r", INTERVAL, "modern", False, 0.01)
        redis_.down = True
        with pytest.raises(redis.exceptions.ConnectionError):
            await store.flush(recorder, now=NOW)
        recorder.observe("r", INTERVAL, "modern", True, 0.01)
        redis_.down = False
        await store.flush(recorder, now=NOW)
        await store.flush(recorder, now=NOW)
        counts = await store.read("r", INTERVAL, now=NOW)
        assert (counts.modern.requests, counts.modern.errors) == (2, 1)

    asyncio.run(scenario())
