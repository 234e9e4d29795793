"""Traffic counters: counted in-process on the hot path, shared through Redis.

The data path only increments plain dicts (no await, no I/O). A background task
swaps the buffers every `FLUSH_INTERVAL` seconds and writes them with HINCRBY, each
batch exactly once however Redis fails (`proxy.counters`), so every worker's
`api/status` and `/metrics` read the same totals. When Redis is slow or away, reads
answer in bounded time with this worker's own figures, marked partial. With no
REDIS_URL the "Redis" is fakeredis in the same process, and the code is the same.

Redis layout (all under `<prefix>proxy:`): `requests` (route|target → n), `errors`
(route|target|code → n: errors users saw), `absorbed` (route|target|code → n:
failures a fallback hid from users; code is a status or `circuit_open`),
`fallbacks` (route → n), `sticky_missing` (route|then → n: canary requests without
their sticky key, and what they got instead), `latency` (route|target|bucket → n,
route|target|sum_us → µs), `unmapped` (path → n), `reloads` (result → n), and
`window:<10 s slot>` (target → n, and route|target → n, expiring) for the recent
traffic share overall and per route.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import redis.exceptions

from proxy.counters import Batch, CounterWriter, limit
from proxy.loops import Periodic
from proxy.redis_replies import int_fields

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
READ_TIMEOUT = 2.0
"""Seconds a read of the shared totals may take before the worker answers on its own."""
WINDOW_SLOT = 10
WINDOW_SECONDS = 300
MAX_UNMAPPED = 200
UNMAPPED_ROUTE = "_unmapped"
"""The route label of requests no route matched (they go to legacy)."""
OTHER_UNMAPPED = "(other)"


@dataclass
class Snapshot:
    """Totals read back from Redis, summed over every worker (unless `partial`)."""

    requests: dict[tuple[str, str], int] = field(default_factory=dict)
    errors: dict[tuple[str, str, str], int] = field(default_factory=dict)
    absorbed: dict[tuple[str, str, str], int] = field(default_factory=dict)
    fallbacks: dict[str, int] = field(default_factory=dict)
    sticky_missing: dict[tuple[str, str], int] = field(default_factory=dict)
    latency: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    latency_sum: dict[tuple[str, str], float] = field(default_factory=dict)
    unmapped: dict[str, int] = field(default_factory=dict)
    reloads: dict[str, int] = field(default_factory=dict)
    window: dict[str, int] = field(default_factory=dict)
    partial: bool = False
    """True when Redis did not answer in time: these are one worker's figures."""
    read_at: datetime | None = None
    """For a partial snapshot, when this worker last read the shared totals (None: never)."""
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
        "absorbed", "errors", "fallbacks", "latency", "latency_us", "reloads", "requests",
        "sticky_missing",
        "unmapped",
    )  # fmt: skip

    def __init__(self) -> None:
        self.requests: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.errors: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.absorbed: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.fallbacks: defaultdict[str, int] = defaultdict(int)
        self.sticky_missing: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.latency: dict[tuple[str, str], list[int]] = {}
        self.latency_us: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.unmapped: defaultdict[str, int] = defaultdict(int)
        self.reloads: defaultdict[str, int] = defaultdict(int)

    def empty(self) -> bool:
        return not (
            self.requests or self.errors or self.absorbed or self.fallbacks or self.unmapped
            or self.reloads or self.sticky_missing
        )  # fmt: skip


class Stats:
    """Per-worker counters with a periodic flush to Redis.

    Parameters:
        redis: an asyncio Redis client (bytes replies).
        prefix: the deployment's key prefix (`REDIS_KEY_PREFIX`).
    """

    def __init__(self, redis: redis.asyncio.Redis, prefix: str) -> None:
        self.key = prefix + "proxy:"
        self._buf = _Buffer()
        self._writer = CounterWriter(redis, prefix, "stats", log=log)
        self._shared: dict[str, dict[str, int]] | None = None
        self._shared_at: datetime | None = None
        self._unmapped_seen: set[str] = set()
        self._loop = Periodic("strangler-stats-flush", FLUSH_INTERVAL, self._round, wait_first=True)

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
        """An error the user saw: the proxy's own reply (413, 502, 503, 504)."""
        self._buf.errors[(route_id, target, str(code))] += 1

    def absorbed(self, route_id: str, target: str, code: int | str) -> None:
        """A failure the user never saw because fallback answered instead: a status,
        or `circuit_open` when the breaker kept the request from being sent at all."""
        self._buf.absorbed[(route_id, target, str(code))] += 1

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
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        with contextlib.suppress(Exception):
            await self.flush()

    async def _round(self) -> None:
        try:
            await self.flush()
        except (redis.exceptions.RedisError, OSError):
            pass  # Redis away: keep counting, retry next round (the writer logs it once)
        except Exception:  # a bug must not end the flushing for good
            log.exception("stats flush failed")

    async def flush(self) -> None:
        """Write the buffered counts to Redis, exactly once (see `proxy.counters`).

        On failure the batch is kept whole and sent again by the next flush; counts
        made meanwhile wait in the live buffer.
        """
        await self._writer.flush(self._take)

    def _take(self) -> Batch | None:
        if self._buf.empty():
            return None
        taken, self._buf = self._buf, _Buffer()
        return self._batch_of(taken)

    def _batch_of(self, buf: _Buffer) -> Batch:
        k = self.key
        pipe = Batch()
        per_target: defaultdict[str, int] = defaultdict(int)
        for (route, target), n in buf.requests.items():
            pipe.hincrby(k + "requests", f"{route}|{target}", n)
            per_target[target] += n
            per_target[f"{route}|{target}"] += n
        for (route, target, code), n in buf.errors.items():
            pipe.hincrby(k + "errors", f"{route}|{target}|{code}", n)
        for (route, target, code), n in buf.absorbed.items():
            pipe.hincrby(k + "absorbed", f"{route}|{target}|{code}", n)
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
        return pipe

    # -- reading --------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        """Every worker's totals (this worker's buffer is flushed first).

        When Redis does not answer in time (`READ_TIMEOUT`, or the caller's
        `proxy.counters.budget`), the answer is this worker's own view instead,
        marked `partial`: the totals it last read plus what it counted since.
        """
        try:
            await self.flush()
            async with limit(READ_TIMEOUT):
                raw = await self._read()
        except (redis.exceptions.RedisError, OSError) as exc:
            self._writer.failed(exc)
            return self._local()
        self._shared, self._shared_at = raw, datetime.now(UTC)
        return _snapshot_of(raw)

    async def _read(self) -> dict[str, dict[str, int]]:
        k = self.key
        now_slot = int(time.time() // WINDOW_SLOT)
        slots = [f"{k}window:{now_slot - i}" for i in range(WINDOW_SECONDS // WINDOW_SLOT)]
        pipe = self.redis.pipeline(transaction=False)
        for name in _HASHES:
            pipe.hgetall(k + name)
        for slot in slots:
            pipe.hgetall(slot)
        replies = await pipe.execute()
        raw = {name: int_fields(reply) for name, reply in zip(_HASHES, replies, strict=False)}
        window: dict[str, int] = {}
        for reply in replies[len(_HASHES) :]:
            for target, n in int_fields(reply).items():
                window[target] = window.get(target, 0) + n
        raw["window"] = window
        return raw

    def _local(self) -> Snapshot:
        """The last totals read from Redis plus this worker's counts not confirmed since."""
        raw = {name: dict(fields) for name, fields in (self._shared or {}).items()}
        unsent = [self._batch_of(self._buf)]
        if self._writer.in_doubt is not None:
            unsent.append(self._writer.in_doubt)
        for batch in unsent:
            for key, fields in batch.increments.items():
                name = key.removeprefix(self.key)
                if name.startswith("window:"):
                    name = "window"
                into = raw.setdefault(name, {})
                for fieldname, n in fields.items():
                    into[fieldname] = into.get(fieldname, 0) + n
        snap = _snapshot_of(raw)
        snap.partial = True
        snap.read_at = self._shared_at
        return snap

    @property
    def redis(self) -> redis.asyncio.Redis:
        return self._writer.redis


_HASHES = (
    "requests", "errors", "absorbed", "fallbacks", "sticky_missing", "latency", "unmapped",
    "reloads",
)  # fmt: skip


def _snapshot_of(raw: dict[str, dict[str, int]]) -> Snapshot:
    snap = Snapshot()
    for fieldname, n in raw.get("requests", {}).items():
        route, target = fieldname.split("|", 1)
        snap.requests[(route, target)] = n
    for fieldname, n in raw.get("errors", {}).items():
        route, target, code = fieldname.split("|", 2)
        snap.errors[(route, target, code)] = n
    for fieldname, n in raw.get("absorbed", {}).items():
        route, target, code = fieldname.split("|", 2)
        snap.absorbed[(route, target, code)] = n
    for fieldname, n in raw.get("sticky_missing", {}).items():
        route, then = fieldname.rsplit("|", 1)
        snap.sticky_missing[(route, then)] = n
    snap.fallbacks = dict(raw.get("fallbacks", {}))
    snap.unmapped = dict(raw.get("unmapped", {}))
    snap.reloads = dict(raw.get("reloads", {}))
    for target, n in raw.get("window", {}).items():
        if "|" in target:  # a route's share: route|target
            route, side = target.rsplit("|", 1)
            snap.recent[(route, side)] = snap.recent.get((route, side), 0) + n
        else:
            snap.window[target] = snap.window.get(target, 0) + n
    for fieldname, n in raw.get("latency", {}).items():
        route, target, index = fieldname.rsplit("|", 2)
        if index == "sum_us":
            snap.latency_sum[(route, target)] = n / 1_000_000
            continue
        counts = snap.latency.setdefault((route, target), [0] * (len(LATENCY_BUCKETS) + 1))
        if index.isdigit() and int(index) < len(counts):
            counts[int(index)] += n
    return snap

