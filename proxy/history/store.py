"""Snapshots and events in two capped Redis sorted sets (score: Unix time).

Bounds: at most `MAX_POINTS` snapshots and `MAX_EVENTS` events per key prefix; periodic
snapshots older than `DOWNSAMPLE_AFTER` are thinned to one per `DOWNSAMPLE_STEP`
(snapshots taken at a config change are kept, they are the changes). At a snapshot
every 5 minutes that is a week at full detail and months at hourly detail.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from proxy.redis_replies import Reply, text

if TYPE_CHECKING:
    import redis.asyncio

__all__ = [
    "DOWNSAMPLE_AFTER",
    "EVENT_KINDS",
    "MAX_EVENTS",
    "MAX_POINTS",
    "HistoryStore",
    "iso",
    "record_event",
]

MAX_POINTS = 5000
MAX_EVENTS = 5000
MAX_REASON_CHARS = 500
DOWNSAMPLE_AFTER = 7 * 86400.0
DOWNSAMPLE_STEP = 3600.0
EVENT_KINDS = ("stage", "override", "guardrail", "autopilot", "rollback", "note")
"""What can happen to a route: moved by routes.yaml (`stage`), held back or sent back at
run time (`override`, `guardrail`), stepped by the autopilot, rolled back, or annotated."""


_LIGHT_FIELDS = ("ts", "time", "kind", "revision", "percent_routes", "percent_traffic", "id")


def _light(point: Mapping[str, object]) -> str:
    """A snapshot's chart-only form; deterministic, so downsampling can remove it too."""
    return json.dumps([point.get(field) for field in _LIGHT_FIELDS])


def _members(reply: object) -> list[Reply]:
    """A sorted set's range read without scores: its members alone (redis-py types the
    reply for every option at once)."""
    return cast("list[Reply]", reply)


def iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HistoryStore:
    """The history of one deployment (one Redis key prefix).

    Parameters:
        client: the shared Redis client.
        key_prefix: the deployment's key prefix (`REDIS_KEY_PREFIX`).
    """

    def __init__(self, client: redis.asyncio.Redis, key_prefix: str) -> None:
        self._redis = client
        self._points = key_prefix + "history:points"
        self._events = key_prefix + "history:events"
        self._progress = key_prefix + "history:progress"
        self._prefix = key_prefix + "history:"

    # -- writing --------------------------------------------------------------------

    async def add_point(self, point: Mapping[str, object]) -> None:
        ts = float(point["ts"])  # type: ignore[arg-type]  # every snapshot is built with a float ts
        whole = {**point, "id": secrets.token_hex(6)}
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self._points, {json.dumps(whole, sort_keys=True): ts})
            pipe.zadd(self._progress, {_light(whole): ts})
            pipe.zremrangebyrank(self._points, 0, -(MAX_POINTS + 1))
            pipe.zremrangebyrank(self._progress, 0, -(MAX_POINTS + 1))
            await pipe.execute()

    async def add_event(
        self,
        *,
        kind: str,
        reason: str,
        route: str | None = None,
        details: Mapping[str, object] | None = None,
        at: float | None = None,
    ) -> dict[str, object]:
        """Record one event; `kind` is one of `EVENT_KINDS` (ValueError otherwise)."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}; one of {', '.join(EVENT_KINDS)}")
        ts = time.time() if at is None else at
        event: dict[str, object] = {
            "ts": ts,
            "time": iso(ts),
            "kind": kind,
            "route": route,
            "reason": reason[:MAX_REASON_CHARS],
            "details": dict(details or {}),
            "id": secrets.token_hex(6),
        }
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self._events, {json.dumps(event, sort_keys=True, default=str): ts})
            pipe.zremrangebyrank(self._events, 0, -(MAX_EVENTS + 1))
            await pipe.execute()
        return event

    async def swap_revision(self, revision: str) -> str | None:
        """Store the revision last snapshotted; return the one before (one writer wins)."""
        # With get=True, SET answers the value it replaced (None when there was none).
        old = cast(
            "Reply | None", await self._redis.set(self._prefix + "revision", revision, get=True)
        )
        return None if old is None else text(old)

    async def claim(self, slot: str, ttl: float) -> bool:
        """True for exactly one caller per `slot` within `ttl` seconds (every worker asks)."""
        return bool(await self._redis.set(self._prefix + "slot:" + slot, b"1", nx=True,
                                          px=max(1, int(ttl * 1000))))  # fmt: skip

    async def downsample(self, now: float | None = None) -> int:
        """Thin periodic snapshots older than a week to one per hour; return how many went."""
        cutoff = (time.time() if now is None else now) - DOWNSAMPLE_AFTER
        old = cast(
            "list[tuple[Reply, float]]",
            await self._redis.zrangebyscore(self._points, "-inf", cutoff, withscores=True),
        )
        kept: set[int] = set()
        doomed = []
        for raw, score in reversed(old):  # newest first: keep the last of each hour
            point = json.loads(raw)
            if point.get("kind") != "interval":
                continue
            bucket = int(score // DOWNSAMPLE_STEP)
            if bucket in kept:
                doomed.append((raw, _light(point)))
            kept.add(bucket)
        if doomed:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zrem(self._points, *(raw for raw, _ in doomed))
                pipe.zrem(self._progress, *(light for _, light in doomed))
                await pipe.execute()
        return len(doomed)

    # -- reading --------------------------------------------------------------------

    async def points(
        self, *, since: float | None = None, limit: int = MAX_POINTS
    ) -> list[dict[str, object]]:
        """Snapshots, oldest first: the newest `limit` of those taken at `since` or later."""
        if limit <= 0:
            return []
        if since is None:
            raws = _members(await self._redis.zrange(self._points, -limit, -1))
        else:
            raws = _members(await self._redis.zrangebyscore(self._points, since, "+inf"))[-limit:]
        return [json.loads(raw) for raw in raws]

    async def progress(self, *, limit: int = MAX_POINTS) -> list[dict[str, object]]:
        """The newest `limit` snapshots without their per-route states, oldest first: what
        the progress chart draws, at a few dozen bytes a point instead of kilobytes."""
        raws = _members(await self._redis.zrange(self._progress, -limit, -1)) if limit > 0 else []
        return [dict(zip(_LIGHT_FIELDS, json.loads(raw), strict=False)) for raw in raws]

    async def last_point(self) -> dict[str, object] | None:
        raws = _members(await self._redis.zrange(self._points, -1, -1))
        return json.loads(raws[0]) if raws else None

    async def events(
        self, *, route: str | None = None, limit: int = MAX_EVENTS
    ) -> list[dict[str, object]]:
        """Events, oldest first; with `route`, that route's and the global ones' (no route)."""
        raws = _members(await self._redis.zrange(self._events, 0, -1))
        events = [json.loads(raw) for raw in raws]
        if route is not None:
            events = [e for e in events if e.get("route") in (route, None)]
        return events[-limit:] if limit else []


async def record_event(
    client: redis.asyncio.Redis,
    key_prefix: str,
    *,
    kind: str,
    reason: str,
    route: str | None = None,
    details: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Add an event to the migration's history (the call for guardrail trips, overrides,
    autopilot steps): shown on the route's timeline, in `api/history` and `api/status`.

    For example `await record_event(runtime.redis, prefix, kind="guardrail",
    route="list-rooms", reason="error rate 21 % > 5 %", details={"error_rate": 0.21})`.
    """
    store = HistoryStore(client, key_prefix)
    return await store.add_event(kind=kind, reason=reason, route=route, details=details)
