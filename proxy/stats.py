"""Traffic counters: counted in-process on the hot path, shared through Redis.

The data path only increments plain dicts (no await, no I/O). A background task
swaps the buffers every `FLUSH_INTERVAL` seconds and writes them with HINCRBY in one
pipeline, so every worker's `api/status` and `/metrics` read the same totals. With
no REDIS_URL the "Redis" is fakeredis in the same process, and the code is the same.

Redis layout (all under `<prefix>proxy:`): `requests` (route|target → n), `errors`
(route|target|code → n), `fallbacks` (route → n), `sticky_missing` (route|then → n:
canary requests without their sticky key, and what they got instead), `latency`
(route|target|bucket → n, route|target|sum_us → µs), `unmapped` (path → n),
`reloads` (result → n), and `window:<10 s slot>` (target → n, and route|target → n,
expiring) for the recent traffic share overall and per route.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio

__all__ = [
    "LATENCY_BUCKETS",
    "UNMAPPED_ROUTE",
    "Snapshot",
    "Stats",
    "percentile",
]

log = logging.getLogger("strangler.proxy.stats")

LATENCY_BUCKETS: tuple[float, ...] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
"""Upper bounds (seconds) of the latency histogram; one more bucket holds the rest."""
FLUSH_INTERVAL = 0.5
WINDOW_SLOT = 10
WINDOW_SECONDS = 300
MAX_UNMAPPED = 200
UNMAPPED_ROUTE = "_unmapped"
"""The route label of requests no route matched (they go to legacy)."""
OTHER_UNMAPPED = "(other)"


@dataclass
class Snapshot:
    """Totals read back from Redis, summed over every worker."""

    requests: dict[tuple[str, str], int] = field(default_factory=dict)
    errors: dict[tuple[str, str, str], int] = field(default_factory=dict)
    fallbacks: dict[str, int] = field(default_factory=dict)
    sticky_missing: dict[tuple[str, str], int] = field(default_factory=dict)
    latency: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    latency_sum: dict[tuple[str, str], float] = field(default_factory=dict)
    unmapped: dict[str, int] = field(default_factory=dict)
    reloads: dict[str, int] = field(default_factory=dict)
    window: dict[str, int] = field(default_factory=dict)
    recent: dict[tuple[str, str], int] = field(default_factory=dict)
    """Requests per (route, target) in the last `WINDOW_SECONDS`."""


def percentile(counts: list[int], q: float) -> float | None:
    """The q-quantile (0–1) of a bucketed histogram, interpolated within its bucket."""
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low = LATENCY_BUCKETS[index - 1] if index else 0.0
            if index >= len(LATENCY_BUCKETS):
                return low
            high = LATENCY_BUCKETS[index]
            return low + (high - low) * max(0.0, rank - seen) / count
        seen += count
    return LATENCY_BUCKETS[-1]


class _Buffer:
    """Counts since the last flush; swapped whole, so a flush never loses an increment."""

    __slots__ = (
        "errors", "fallbacks", "latency", "latency_us", "reloads", "requests", "sticky_missing",
        "unmapped",
    )  # fmt: skip

    def __init__(self) -> None:
        self.requests: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.errors: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.fallbacks: defaultdict[str, int] = defaultdict(int)
        self.sticky_missing: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.latency: dict[tuple[str, str], list[int]] = {}
        self.latency_us: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.unmapped: defaultdict[str, int] = defaultdict(int)
        self.reloads: defaultdict[str, int] = defaultdict(int)

    def empty(self) -> bool:
        return not (
            self.requests or self.errors or self.fallbacks or self.unmapped or self.reloads
            or self.sticky_missing
        )  # fmt: skip

    def merge(self, old: _Buffer) -> None:
        names = ("requests", "errors", "fallbacks", "latency_us", "unmapped", "reloads")
        for name in (*names, "sticky_missing"):
            mine = getattr(self, name)
            for key, value in getattr(old, name).items():
                mine[key] += value
        for key, counts in old.latency.items():
            mine_counts = self.latency.setdefault(key, [0] * len(counts))
            for index, count in enumerate(counts):
                mine_counts[index] += count


class Stats:
    """Per-worker counters with a periodic flush to Redis.

    Parameters:
        redis: an asyncio Redis client (bytes replies).
        prefix: the deployment's key prefix (`REDIS_KEY_PREFIX`).
    """

    def __init__(self, redis: redis.asyncio.Redis, prefix: str) -> None:
        self.redis = redis
        self.key = prefix + "proxy:"
        self._buf = _Buffer()
        self._unmapped_seen: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()

    # -- hot path: plain dict updates only, no await -------------------------------

    def request(self, route_id: str, target: str, elapsed: float) -> None:
        buf = self._buf
        key = (route_id, target)
        buf.requests[key] += 1
        buckets = buf.latency.get(key)
        if buckets is None:
            buckets = buf.latency[key] = [0] * (len(LATENCY_BUCKETS) + 1)
        buckets[bisect.bisect_left(LATENCY_BUCKETS, elapsed)] += 1
        buf.latency_us[key] += int(elapsed * 1_000_000)

    def error(self, route_id: str, target: str, code: int) -> None:
        self._buf.errors[(route_id, target, str(code))] += 1

    def fallback(self, route_id: str) -> None:
        self._buf.fallbacks[route_id] += 1

    def sticky_missing(self, route_id: str, then: str) -> None:
        """A canary request without its sticky key; `then`: `ip` or `legacy` (what it got)."""
        self._buf.sticky_missing[(route_id, then)] += 1

    def unmapped(self, path_key: str) -> None:
        if path_key not in self._unmapped_seen:
            if len(self._unmapped_seen) >= MAX_UNMAPPED:
                path_key = OTHER_UNMAPPED
            else:
                self._unmapped_seen.add(path_key)
        self._buf.unmapped[path_key] += 1

    def reload(self, result: str) -> None:
        self._buf.reloads[result] += 1

    # -- background -----------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="strangler-stats-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush()

    async def _run(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            try:
                await self.flush()
            except Exception as exc:  # Redis away: keep counting, retry next tick
                if not failing:
                    log.warning("stats flush to Redis failed (counts kept, retrying): %s", exc)
                failing = True
            else:
                if failing:
                    log.warning("stats flush to Redis works again")
                failing = False

    async def flush(self) -> None:
        """Write the buffered counts to Redis; on failure they are kept for next time."""
        async with self._flush_lock:
            taken, self._buf = self._buf, _Buffer()
            if taken.empty():
                return
            try:
                await self._write(taken)
            except Exception:
                self._buf.merge(taken)
                raise

    async def _write(self, buf: _Buffer) -> None:
        k = self.key
        pipe = self.redis.pipeline(transaction=False)
        per_target: defaultdict[str, int] = defaultdict(int)
        for (route, target), n in buf.requests.items():
            pipe.hincrby(k + "requests", f"{route}|{target}", n)
            per_target[target] += n
            per_target[f"{route}|{target}"] += n
        for (route, target, code), n in buf.errors.items():
            pipe.hincrby(k + "errors", f"{route}|{target}|{code}", n)
        for route, n in buf.fallbacks.items():
            pipe.hincrby(k + "fallbacks", route, n)
        for (route, target), counts in buf.latency.items():
            for index, n in enumerate(counts):
                if n:
                    pipe.hincrby(k + "latency", f"{route}|{target}|{index}", n)
        for (route, target), micros in buf.latency_us.items():
            pipe.hincrby(k + "latency", f"{route}|{target}|sum_us", micros)
        for (route, then), n in buf.sticky_missing.items():
            pipe.hincrby(k + "sticky_missing", f"{route}|{then}", n)
        for path, n in buf.unmapped.items():
            pipe.hincrby(k + "unmapped", path, n)
        for result, n in buf.reloads.items():
            pipe.hincrby(k + "reloads", result, n)
        if per_target:
            slot_key = f"{k}window:{int(time.time() // WINDOW_SLOT)}"
            for target, n in per_target.items():
                pipe.hincrby(slot_key, target, n)
            pipe.expire(slot_key, WINDOW_SECONDS + 2 * WINDOW_SLOT)
        await pipe.execute()

    # -- reading --------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        """Every worker's totals (this worker's buffer is flushed first)."""
        with contextlib.suppress(Exception):
            await self.flush()
        k = self.key
        now_slot = int(time.time() // WINDOW_SLOT)
        slots = [f"{k}window:{now_slot - i}" for i in range(WINDOW_SECONDS // WINDOW_SLOT)]
        pipe = self.redis.pipeline(transaction=False)
        for name in ("requests", "errors", "fallbacks", "latency", "unmapped", "reloads"):
            pipe.hgetall(k + name)
        for slot in slots:
            pipe.hgetall(slot)
        pipe.hgetall(k + "sticky_missing")
        replies = await pipe.execute()
        sticky = _decode(replies.pop())
        requests, errors, fallbacks, latency, unmapped, reloads = (_decode(r) for r in replies[:6])
        snap = Snapshot()
        for fieldname, n in sticky.items():
            route, then = fieldname.rsplit("|", 1)
            snap.sticky_missing[(route, then)] = n
        for fieldname, n in requests.items():
            route, target = fieldname.split("|", 1)
            snap.requests[(route, target)] = n
        for fieldname, n in errors.items():
            route, target, code = fieldname.split("|", 2)
            snap.errors[(route, target, code)] = n
        snap.fallbacks = fallbacks
        snap.unmapped = unmapped
        snap.reloads = reloads
        for fieldname, n in latency.items():
            route, target, index = fieldname.rsplit("|", 2)
            if index == "sum_us":
                snap.latency_sum[(route, target)] = n / 1_000_000
                continue
            counts = snap.latency.setdefault((route, target), [0] * (len(LATENCY_BUCKETS) + 1))
            if index.isdigit() and int(index) < len(counts):
                counts[int(index)] += n
        for reply in replies[6:]:
            for target, n in _decode(reply).items():
                if "|" in target:  # a route's share: route|target
                    route, side = target.rsplit("|", 1)
                    snap.recent[(route, side)] = snap.recent.get((route, side), 0) + n
                else:
                    snap.window[target] = snap.window.get(target, 0) + n
        return snap


def _decode(reply: dict[bytes | str, bytes | str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in reply.items():
        name = key.decode() if isinstance(key, bytes) else key
        out[name] = int(value)
    return out
