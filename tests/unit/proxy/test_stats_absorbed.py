"""Failures fallback absorbed are counted apart from the errors users saw."""

from __future__ import annotations

import asyncio

import fakeredis

from proxy.stats import Stats


def test_absorbed_failures_never_count_as_errors_users_saw() -> None:
    async def scenario() -> None:
        redis = fakeredis.FakeAsyncRedis()
        one, two = Stats(redis, "t:"), Stats(redis, "t:")
        one.absorbed("search", "modern", 504)
        one.absorbed("search", "modern", "circuit_open")
        two.absorbed("search", "modern", 504)
        two.error("search", "legacy", 502)  # fallback's legacy failed too: the user saw this
        await one.flush()
        snap = await two.snapshot()
        assert snap.absorbed == {
            ("search", "modern", "504"): 2,
            ("search", "modern", "circuit_open"): 1,
        }
        assert snap.errors == {("search", "legacy", "502"): 1}

    asyncio.run(scenario())
