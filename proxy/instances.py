"""Which proxy workers are alive, and which config revision each one serves.

Several proxy instances (each with several workers) sharing one Redis behave as one:
their counters add up in Redis already; this registry adds the config revision.
Every worker records `revision` under its id in one hash and its last beat in a
sorted set, every `BEAT_SECONDS`; a worker not heard from for `TTL_SECONDS` is no
longer counted (and is cleaned out on the next read). The status API shows the
revisions in force and whether the workers agree: during a rollout they do not,
and a disagreement that lasts means an instance did not take the new routes.yaml.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import cast

import redis.asyncio
from redis.exceptions import RedisError

from proxy.loops import STOP_GRACE_SECONDS, Periodic
from proxy.redis_replies import Reply, text

__all__ = ["BEAT_SECONDS", "MAX_LISTED", "TTL_SECONDS", "Instances"]

log = logging.getLogger("strangler.proxy.instances")

BEAT_SECONDS = 2.0
TTL_SECONDS = 10.0
"""Several missed beats: a worker that was stopped (or killed) drops out this fast."""
MAX_LISTED = 100
"""Workers listed in the status document at most (the counts cover them all)."""
STOP_WAIT_SECONDS = STOP_GRACE_SECONDS
"""The most `stop` waits for a beat in progress (a Redis that does not answer)."""


class Instances:
    """This worker's entry in the shared registry, and the registry's current view.

    Parameters:
        redis: the shared client (an in-process fakeredis sees only this worker).
        prefix: the Redis key prefix.
        revision: the config revision this worker serves now.
    """

    def __init__(
        self, redis: redis.asyncio.Redis, prefix: str, revision: Callable[[], str]
    ) -> None:
        self.redis = redis
        self.revision = revision
        self.id = f"{socket.gethostname()}:{os.getppid()}:{os.getpid()}"
        self._revisions = f"{prefix}instances:revision"
        self._seen = f"{prefix}instances:seen"
        self._loop = Periodic("strangler-instances-beat", BEAT_SECONDS, self._round)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        """Leave the registry at once: a stopped worker is no longer a voice in it."""
        await self._loop.stop()
        with contextlib.suppress(RedisError, OSError):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(self._seen, self.id)
                pipe.hdel(self._revisions, self.id)
                await pipe.execute()

    async def beat(self) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._revisions, self.id, self.revision())
            pipe.zadd(self._seen, {self.id: time.time()})
            await pipe.execute()

    async def view(self) -> dict[str, object]:
        """The live workers' revisions: `{"agree", "revisions": {rev: workers}, "workers"}`."""
        cutoff = time.time() - TTL_SECONDS
        stale = await self.redis.zrangebyscore(self._seen, "-inf", f"({cutoff}")
        if stale:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(self._seen, *stale)
                pipe.hdel(self._revisions, *stale)
                await pipe.execute()
        # Without withscores, a sorted set's range is its members alone.
        members = cast("list[Reply]", await self.redis.zrangebyscore(self._seen, cutoff, "+inf"))
        live = [text(i) for i in members]
        revisions = await self.redis.hmget(self._revisions, live) if live else []
        workers = sorted(
            (worker, text(revision)) for worker, revision in zip(live, revisions, strict=True)
            if revision is not None
        )  # fmt: skip
        counts: dict[str, int] = {}
        for _, revision in workers:
            counts[revision] = counts.get(revision, 0) + 1
        return {
            "agree": len(counts) <= 1,
            "revisions": counts,
            "workers": [{"id": w, "revision": r} for w, r in workers[:MAX_LISTED]],
        }

    async def _round(self) -> None:
        try:
            await self.beat()
        except (RedisError, OSError) as exc:
            log.warning("instance registry beat failed (retrying): %s", exc)
