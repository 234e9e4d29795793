"""Outcome counters shared by every proxy worker through Redis, buffered in process.

Counting happens on the data path (`sampled_out`) and in replay workers; neither may
wait for Redis. So `count()` only bumps an in-process dict, and `flush()` (run by the
service's background loop every ~0.5 s, and before every status read) sends the
deltas with HINCRBY in one pipeline, then re-reads the routes' totals so that noise
decisions in this worker see what every worker has counted.

Keys, under the deps' prefix: `shadow:{route}:counts` (hash: outcome names,
`skipped:{reason}`, `noise_samples`, `diff:{path}`, `noise:{path}`,
`kind:{kind}:{path}`) and `shadow:{route}:latency:{side}` (list: newest first,
trimmed to a sliding reservoir of the last `LATENCY_RESERVOIR` seconds values).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict

import redis.asyncio
import redis.exceptions

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


class OutcomeStore:
    """Buffered per-route counters and latency samples; see the module docstring."""

    def __init__(self, client: redis.asyncio.Redis, key_prefix: str) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._pending: dict[str, Counter[str]] = defaultdict(Counter)
        # Deltas on their way to Redis: still counted by `counts()` until the totals
        # read back in the same pipeline include them (else a judge would see a dip).
        self._sending: dict[str, Counter[str]] = {}
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
        """Totals as last read from Redis plus this worker's unflushed deltas."""
        merged = dict(self._totals.get(route_id, {}))
        for buffer in (self._sending, self._pending):
            for field, amount in buffer.get(route_id, {}).items():
                merged[field] = merged.get(field, 0) + amount
        return merged

    async def flush(self) -> None:
        """Send buffered deltas and latencies, then refresh totals of the routes touched."""
        pending, self._pending = self._pending, defaultdict(Counter)
        self._sending = pending
        latency, self._latency = self._latency, defaultdict(list)
        routes = set(pending) | {route for route, _ in latency} | set(self._totals)
        fresh = time.monotonic() - self._refreshed < REFRESH_INTERVAL
        if not routes or (not pending and not latency and fresh):
            return  # nothing to send, and the totals were read moments ago
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for route_id, counter in pending.items():
                    for field, amount in counter.items():
                        if amount:
                            pipe.hincrby(self.counts_key(route_id), field, amount)
                for (route_id, side), samples in latency.items():
                    key = self.latency_key(route_id, side)
                    pipe.lpush(key, *(f"{s:.6f}" for s in samples))
                    pipe.ltrim(key, 0, LATENCY_RESERVOIR - 1)
                ordered = sorted(routes)
                for route_id in ordered:
                    pipe.hgetall(self.counts_key(route_id))
                results = await pipe.execute()
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("shadow: cannot flush outcomes to Redis (kept for the next try): %s", exc)
            for route_id, counter in pending.items():
                self._pending[route_id].update(counter)
            self._sending = {}
            return
        self._refreshed = time.monotonic()
        for route_id, raw in zip(ordered, results[-len(ordered) :], strict=True):
            self._totals[route_id] = _decode_hash(raw)
        self._sending = {}

    async def read(self, route_id: str) -> tuple[dict[str, int], dict[str, list[float]]]:
        """Shared totals and latency samples (seconds) per side, straight from Redis."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.counts_key(route_id))
            for side in ("legacy", "modern"):
                pipe.lrange(self.latency_key(route_id, side), 0, LATENCY_RESERVOIR - 1)
            raw, legacy, modern = await pipe.execute()
        return _decode_hash(raw), {"legacy": _floats(legacy), "modern": _floats(modern)}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode_hash(raw: dict[bytes | str, bytes | str]) -> dict[str, int]:
    return {_text(k): int(v) for k, v in raw.items()}


def _floats(raw: list[bytes | str]) -> list[float]:
    return [float(v) for v in raw]
