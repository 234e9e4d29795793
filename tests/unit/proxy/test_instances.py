"""The instance registry on an in-process fakeredis: beats, views, leaving, going stale."""

from __future__ import annotations

import asyncio
import time

import fakeredis

from proxy import instances
from proxy.instances import TTL_SECONDS, Instances


def test_workers_agree_until_one_serves_another_revision() -> None:
    async def scenario() -> list[dict[str, object]]:
        redis = fakeredis.FakeAsyncRedis()
        revisions = {"a": "r1", "b": "r1"}
        a = Instances(redis, "t:", lambda: revisions["a"])
        b = Instances(redis, "t:", lambda: revisions["b"])
        b.id += "-b"  # two workers of one process, for the test
        await a.beat()
        await b.beat()
        views = [await a.view()]
        revisions["b"] = "r2"
        await b.beat()
        views.append(await a.view())
        await b.stop()  # leaves at once
        views.append(await a.view())
        return views

    agreed, split, alone = asyncio.run(scenario())
    assert agreed["agree"] is True and agreed["revisions"] == {"r1": 2}
    assert split["agree"] is False and split["revisions"] == {"r1": 1, "r2": 1}
    assert alone["revisions"] == {"r1": 1} and len(alone["workers"]) == 1  # type: ignore[arg-type]


def test_a_worker_not_heard_from_is_dropped() -> None:
    async def scenario() -> dict[str, object]:
        redis = fakeredis.FakeAsyncRedis()
        gone = Instances(redis, "t:", lambda: "old")
        await gone.beat()
        # Its last beat is older than the TTL: a killed worker that never said goodbye.
        await redis.zadd("t:instances:seen", {gone.id: time.time() - TTL_SECONDS - 1})
        here = Instances(redis, "t:", lambda: "new")
        here.id += "-here"
        await here.beat()
        view = await here.view()
        assert await redis.hget("t:instances:revision", gone.id) is None  # cleaned out
        return view

    assert asyncio.run(scenario())["revisions"] == {"new": 1}


def test_stop_right_after_start_returns_and_leaves_no_entry() -> None:
    """A stop landing in the first beat still ends the loop (a start-up that fails fast)."""

    async def scenario() -> dict[str, object]:
        registry = Instances(fakeredis.FakeAsyncRedis(), "t:", lambda: "r")
        registry.start()
        await asyncio.wait_for(registry.stop(), instances.STOP_WAIT_SECONDS + 1)
        return await registry.view()

    assert asyncio.run(scenario())["workers"] == []
