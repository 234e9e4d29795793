"""Per-route traffic figures over time: requests, error rate and p50/p95/p99 per target,
one entry per periodic snapshot, for the route page's small charts.

The shared counters are cumulative; each periodic snapshot stores the difference from
the previous one (kept in `history:cumulative`), so an entry describes that interval
alone and its percentiles come from that interval's latency histogram. Counters that
went down (Redis emptied) restart the difference from zero. Each route keeps its newest
`MAX_ROUTE_POINTS` entries, and only intervals that saw traffic are stored.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypedDict, cast

from proxy.redis_replies import Reply
from proxy.stats import Snapshot, percentile

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["MAX_ROUTE_POINTS", "RouteFigures", "cumulative", "interval_figures"]

MAX_ROUTE_POINTS = 2016  # a week of 5-minute intervals
TARGETS = ("legacy", "modern")


class Totals(TypedDict):
    requests: int
    errors: int
    latency: list[int]


Cumulative = dict[str, Totals]
"""`"route|target"` → that pair's cumulative totals."""


def cumulative(snap: Snapshot) -> Cumulative:
    out: Cumulative = {}
    for (route, target), n in snap.requests.items():
        out[f"{route}|{target}"] = Totals(
            requests=n,
            errors=sum(c for (r, t, _), c in snap.errors.items() if (r, t) == (route, target)),
            latency=list(snap.latency.get((route, target), [])),
        )
    return out


def _minus(now: Totals, before: Totals | None) -> Totals:
    if before is None or now["requests"] < before["requests"]:
        return now  # first sight, or the counters were reset
    old = before["latency"] + [0] * (len(now["latency"]) - len(before["latency"]))
    return Totals(
        requests=now["requests"] - before["requests"],
        errors=max(0, now["errors"] - before["errors"]),
        latency=[max(0, a - b) for a, b in zip(now["latency"], old, strict=False)],
    )


def interval_figures(now: Cumulative, before: Cumulative) -> dict[str, dict[str, object]]:
    """route → {target: {requests, errors, error_rate, p50, p95, p99}} for this interval."""
    out: dict[str, dict[str, object]] = {}
    for key, totals in now.items():
        route, _, target = key.partition("|")
        delta = _minus(totals, before.get(key))
        requests, buckets = delta["requests"], delta["latency"]
        if requests <= 0 or target not in TARGETS:
            continue
        figures: dict[str, object] = {
            "requests": requests,
            "errors": delta["errors"],
            "error_rate": round(delta["errors"] / requests, 6),
        }
        for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            value = percentile(buckets, q) if sum(buckets) else None
            figures[name] = None if value is None else round(value * 1000, 3)
        out.setdefault(route, {})[target] = figures
    return out


class RouteFigures:
    """Stores and reads the per-route interval figures of one deployment."""

    def __init__(self, client: redis.asyncio.Redis, key_prefix: str) -> None:
        self._redis = client
        self._prefix = key_prefix + "history:"

    async def record(self, snap: Snapshot, ts: float) -> int:
        """Store this interval's figures (one caller per interval); return routes stored."""
        if getattr(snap, "partial", False):
            return 0  # one worker's figures (Redis was slow): not a deployment's baseline
        now = cumulative(snap)
        # With get=True, SET answers the value it replaced (None when there was none).
        raw = cast(
            "Reply | None",
            await self._redis.set(self._prefix + "cumulative", json.dumps(now), get=True),
        )
        before: Cumulative = json.loads(raw) if raw else {}
        figures = interval_figures(now, before)
        if not figures:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for route, targets in figures.items():
                key = self._prefix + "route:" + route
                pipe.zadd(key, {json.dumps({"ts": ts, **targets}, sort_keys=True): ts})
                pipe.zremrangebyrank(key, 0, -(MAX_ROUTE_POINTS + 1))
            await pipe.execute()
        return len(figures)

    async def of(self, route: str, *, limit: int = MAX_ROUTE_POINTS) -> list[dict[str, object]]:
        """A route's interval figures, oldest first."""
        # Read without scores, a sorted set's range is its members alone.
        raws = cast(
            "list[Reply]", await self._redis.zrange(self._prefix + "route:" + route, -limit, -1)
        )
        return [json.loads(raw) for raw in raws]
