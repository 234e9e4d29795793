"""Canary outcomes per route and target, counted in-process and summed through Redis.

The data path calls `Recorder.observe` once per upstream attempt on a canary route
(modern's failure is recorded before fallback serves the request from legacy): a
few dict increments, no I/O. The guardrail's background task moves the counts into
per-slot Redis hashes every fraction of a second, so the window every worker and
every instance reads is the same. The move is a `proxy.counters` batch, like the
traffic and shadow counters': a flush Redis leaves in doubt is sent again and
counted once.

Redis layout: `<prefix>guardrail:win:<route>:<slot seconds>:<slot number>` is a hash
of `<target>|n` (answered or failed attempts), `<target>|err` (5xx, timeouts,
connection failures) and `<target>|h<bucket>` (latency histogram of the answered
ones, `histogram.BOUNDS`), expiring once no window can reach it. A slot lasts one
thirtieth of the route's interval (at least a second), so a window is ~31 reads.
"""

from __future__ import annotations

import logging
import math
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from proxy.counters import Batch, CounterWriter, limit
from proxy.guardrail.histogram import BOUNDS
from proxy.redis_replies import text

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["Recorder", "Side", "WindowCounts", "WindowStore", "slot_seconds"]

log = logging.getLogger("strangler.guardrail")

# Seconds a read may take outside a status answer's own budget (the background rounds).
READ_SECONDS = 2.0

SLOTS_PER_INTERVAL = 30
TARGETS = ("legacy", "modern")


def slot_seconds(interval: float) -> int:
    return max(1, math.ceil(interval / SLOTS_PER_INTERVAL))


@dataclass
class Side:
    """One target's outcomes in a window (or a buffer)."""

    requests: int = 0
    errors: int = 0
    latency: dict[int, int] = field(default_factory=dict)


@dataclass
class WindowCounts:
    """Both targets of one route over one window."""

    seconds: float
    legacy: Side = field(default_factory=Side)
    modern: Side = field(default_factory=Side)

    def side(self, target: str) -> Side:
        return self.modern if target == "modern" else self.legacy


class Recorder:
    """This worker's outcomes since the last flush, keyed by (route, slot seconds)."""

    def __init__(self) -> None:
        self._buf: dict[tuple[str, float], dict[str, Side]] = {}

    # -- hot path: no await, no I/O -------------------------------------------------

    def observe(
        self, route_id: str, interval: float, target: str, failed: bool, elapsed: float
    ) -> None:
        # Keyed by the interval itself: the slot length is worked out at flush time,
        # off the request path (this runs once per canary attempt: ~1 µs matters).
        sides = self._buf.get((route_id, interval))
        if sides is None:
            sides = self._buf[(route_id, interval)] = {}
        side = sides.get(target)
        if side is None:
            side = sides[target] = Side()
        side.requests += 1
        if failed:
            side.errors += 1
        else:
            latency = side.latency
            index = bisect_left(BOUNDS, elapsed)
            latency[index] = latency.get(index, 0) + 1

    # -- background -------------------------------------------------------------------

    def take(self) -> dict[tuple[str, float], dict[str, Side]]:
        taken, self._buf = self._buf, {}
        return taken


class WindowStore:
    """The Redis side: write buffered counts into slots, read a route's window."""

    def __init__(self, redis: redis.asyncio.Redis, prefix: str) -> None:
        self.redis = redis
        self.key = prefix + "guardrail:win:"
        self._writer = CounterWriter(redis, prefix, "guardrail windows", log=log)

    def _slot_key(self, route_id: str, seconds: int, slot: int) -> str:
        return f"{self.key}{route_id}:{seconds}:{slot}"

    async def flush(self, recorder: Recorder, *, now: float | None = None) -> None:
        """Move the recorder's counts into the slots of `now`, exactly once. While a
        flush is in doubt (Redis did not confirm it) it is the one sent again, into
        the slots it was taken for; new counts wait in the recorder meanwhile."""

        def take() -> Batch | None:
            taken = recorder.take()
            if not taken:
                return None
            moment = time.time() if now is None else now
            batch = Batch()
            for (route_id, interval), sides in taken.items():
                seconds = slot_seconds(interval)
                key = self._slot_key(route_id, seconds, int(moment // seconds))
                for target, side in sides.items():
                    batch.hincrby(key, f"{target}|n", side.requests)
                    if side.errors:
                        batch.hincrby(key, f"{target}|err", side.errors)
                    for index, count in side.latency.items():
                        batch.hincrby(key, f"{target}|h{index}", count)
                batch.expire(key, seconds * (SLOTS_PER_INTERVAL + 3))
            return batch

        await self._writer.flush(take)

    def _slots(self, route_id: str, interval: float, moment: float) -> list[str]:
        seconds = slot_seconds(interval)
        current = int(moment // seconds)
        count = math.ceil(interval / seconds)
        # The current (partial) slot and the full ones behind it: a window a little
        # longer than the interval, never a little shorter.
        return [self._slot_key(route_id, seconds, current - i) for i in range(count + 1)]

    async def read(
        self, route_id: str, interval: float, *, now: float | None = None
    ) -> WindowCounts:
        moment = time.time() if now is None else now
        pipe = self.redis.pipeline(transaction=False)
        for key in self._slots(route_id, interval, moment):
            pipe.hgetall(key)
        counts = WindowCounts(seconds=interval)
        async with limit(READ_SECONDS):  # a status answer's budget, when it has one
            replies = await pipe.execute()
        for reply in replies:
            for raw_name, raw_value in reply.items():
                name = text(raw_name)
                target, _, what = name.partition("|")
                if target not in TARGETS:
                    continue
                side, value = counts.side(target), int(raw_value)
                if what == "n":
                    side.requests += value
                elif what == "err":
                    side.errors += value
                elif what[:1] == "h" and what[1:].isdigit():
                    index = int(what[1:])
                    side.latency[index] = side.latency.get(index, 0) + value
        return counts

    async def reset(self, route_id: str, interval: float) -> None:
        """Forget a route's window (an override cleared or lifted starts afresh)."""
        keys = self._slots(route_id, interval, time.time())
        await self.redis.delete(*keys)
