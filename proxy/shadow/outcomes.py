"""Outcome counters shared by every proxy worker through Redis, buffered in process.

Counting happens on the data path (`sampled_out`) and in replay workers; neither may
wait for Redis. So `count()` only bumps an in-process dict, and `flush()` (run by the
service's background loop every ~0.5 s, and before every status read) sends the
deltas with HINCRBY, exactly once however Redis fails (`proxy.counters`), and
re-reads the routes' totals in the same transaction so that noise decisions in this
worker see what every worker has counted.

Keys, under the deps' prefix: `shadow:{route}:counts` (hash: outcome names,
`skipped:{reason}`, `noise_samples`, `diff:{path}`, `noise:{path}`,
`kind:{kind}:{path}`) and `shadow:{route}:latency:{side}` (list: newest first,
trimmed to a sliding reservoir of the last `LATENCY_RESERVOIR` seconds values).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

import redis.asyncio
import redis.exceptions

from proxy.counters import Batch, CounterWriter, limit
from proxy.redis_replies import int_fields

if TYPE_CHECKING:
    from redis.asyncio.client import Pipeline

__all__ = ["LATENCY_RESERVOIR", "OTHER_PATHS", "OUTCOMES", "OutcomeStore"]

log = logging.getLogger("proxy.shadow")

OUTCOMES = (
    "matched",
    "mismatched",
    "intended",
    "modern_error",
    "timeout",
    "skipped",
    "sampled_out",
    "dropped",
)
LATENCY_RESERVOIR = 500
MAX_PATHS_PER_ROUTE = 500
OTHER_PATHS = "(other paths)"
REFRESH_INTERVAL = 0.5
READ_TIMEOUT = 2.0


class OutcomeStore:
    """Buffered per-route counters and latency samples; see the module docstring."""

    def __init__(self, client: redis.asyncio.Redis, key_prefix: str) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._pending: dict[str, Counter[str]] = defaultdict(Counter)
        # Deltas on their way to Redis (the writer's batch in doubt) are still counted
        # by `counts()` until the totals read back with them include them (else a
        # judge would see a dip).
        self._writer = CounterWriter(client, key_prefix, "shadow outcomes", log=log)
        self._latency: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._totals: dict[str, dict[str, int]] = {}
        self._paths: dict[str, set[str]] = defaultdict(set)
        self._refreshed = 0.0

    def counts_key(self, route_id: str) -> str:
        return f"{self._prefix}shadow:{route_id}:counts"

    def latency_key(self, route_id: str, side: str) -> str:
        return f"{self._prefix}shadow:{route_id}:latency:{side}"

    def count(self, route_id: str, field: str, amount: int = 1) -> None:
        """Add to a counter without I/O (safe on the data path)."""
        self._pending[route_id][field] += amount

    def bounded_path(self, route_id: str, path: str) -> str:
        """The path itself, or `OTHER_PATHS` once a route has too many distinct ones."""
        known = self._paths[route_id]
        if path in known:
            return path
        if len(known) >= MAX_PATHS_PER_ROUTE:
            return OTHER_PATHS
        known.add(path)
        return path

    def forget(self, route_id: str) -> None:
        """Stop refreshing a key's totals (a closed evidence window); deltas still flush."""
        self._totals.pop(route_id, None)
        self._paths.pop(route_id, None)

    def latency(self, route_id: str, side: str, seconds: float) -> None:
        samples = self._latency[(route_id, side)]
        if len(samples) < LATENCY_RESERVOIR:
            samples.append(seconds)

    def counts(self, route_id: str) -> dict[str, int]:
        """Totals as last read from Redis plus this worker's unconfirmed deltas."""
        merged = dict(self._totals.get(route_id, {}))
        buffers: list[Mapping[str, int]] = [self._pending.get(route_id, {})]
        sending = self._writer.in_doubt
        if sending is not None:
            buffers.append(sending.increments.get(self.counts_key(route_id), {}))
        for buffer in buffers:
            for field, amount in buffer.items():
                merged[field] = merged.get(field, 0) + amount
        return merged

    async def flush(self) -> None:
        """Send buffered deltas and latencies, then refresh totals of the routes touched."""
        # Routes of a batch in doubt are in `_totals` already (`_take` puts them there).
        routes = set(self._pending) | {route for route, _ in self._latency} | set(self._totals)
        sending = self._writer.in_doubt
        fresh = time.monotonic() - self._refreshed < REFRESH_INTERVAL
        idle = not self._pending and not self._latency and sending is None
        if not routes or (idle and fresh):
            return  # nothing to send, and the totals were read moments ago
        ordered = sorted(routes)

        def reads(pipe: Pipeline) -> None:
            for route_id in ordered:
                pipe.hgetall(self.counts_key(route_id))

        try:
            results = await self._writer.flush(self._take, reads)
        except (redis.exceptions.RedisError, OSError):
            return  # kept for the next try; the writer logged the outage once
        self._refreshed = time.monotonic()
        for route_id, raw in zip(ordered, results, strict=True):
            self._totals[route_id] = int_fields(raw)

    def _take(self) -> Batch | None:
        pending, self._pending = self._pending, defaultdict(Counter)
        latency, self._latency = self._latency, defaultdict(list)
        batch = Batch()
        for route_id in {*pending, *(route for route, _ in latency)}:
            self._totals.setdefault(route_id, {})  # refreshed after every flush from now on
        for route_id, counter in pending.items():
            for field, amount in counter.items():
                batch.hincrby(self.counts_key(route_id), field, amount)
        for (route_id, side), samples in latency.items():
            batch.push(
                self.latency_key(route_id, side), [f"{s:.6f}" for s in samples], LATENCY_RESERVOIR
            )
        return batch

    async def read(self, route_id: str) -> tuple[dict[str, int], dict[str, list[float]]]:
        """Shared totals and latency samples (seconds) per side, straight from Redis.

        Bounded in time (`READ_TIMEOUT`, or the caller's `proxy.counters.budget`):
        a stalled Redis raises redis's TimeoutError, and the caller answers from `counts()`.
        """
        async with limit(READ_TIMEOUT), self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.counts_key(route_id))
            for side in ("legacy", "modern"):
                pipe.lrange(self.latency_key(route_id, side), 0, LATENCY_RESERVOIR - 1)
            raw, legacy, modern = await pipe.execute()
        return int_fields(raw), {"legacy": _floats(legacy), "modern": _floats(modern)}


def _floats(raw: list[bytes | str]) -> list[float]:
    return [float(v) for v in raw]
