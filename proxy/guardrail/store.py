"""The guardrail's shared state in Redis: overrides, autopilot positions, the audit log.

Every decision is a compare-and-set (WATCH/MULTI/EXEC), so when every worker of every
instance reaches the same conclusion at once, exactly one of them acts, and the
audit entry is written in the same transaction as the decision it records. Nothing
expires: an override and an autopilot position survive restarts.

Redis layout under `<prefix>guardrail:`: `override:<route>` (JSON), `autopilot:<route>`
(JSON), `trips` (route → trips), `dryrun:<route>` (a would-be trip already reported
this interval, expiring), `history:<route>` (list of JSON entries, the newest
`HISTORY_LIMIT` kept).
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from redis.exceptions import WatchError

from proxy.counters import limit
from proxy.guardrail.window import READ_SECONDS
from proxy.redis_replies import int_fields

if TYPE_CHECKING:
    import redis.asyncio
    from redis.asyncio.client import Pipeline

__all__ = ["HISTORY_LIMIT", "Store", "audit_entry"]

log = logging.getLogger("strangler.guardrail")

HISTORY_LIMIT = 500
_WORKER = f"{socket.gethostname()}:{os.getpid()}"


def audit_entry(route_id: str, event: str, **details: Any) -> dict[str, Any]:
    """One audit log line: when, which route, what happened, and its figures."""
    now = datetime.now(UTC)
    return {
        "at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "ts": now.timestamp(),
        "route": route_id,
        "event": event,
        "worker": _WORKER,
        **details,
    }


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class Store:
    """Reads and compare-and-set writes of the guardrail's Redis keys."""

    def __init__(self, redis: redis.asyncio.Redis, prefix: str) -> None:
        self.redis = redis
        self.key = prefix + "guardrail:"
        # Told of each audit entry once it is written (the migration history listens).
        self.listeners: list[Callable[[dict[str, Any]], Awaitable[object]]] = []

    async def _announce(self, written: bool, entry: dict[str, Any] | None) -> bool:
        """Tell the listeners of an entry that was written; a listener's failure is its own."""
        if written and entry is not None:
            for listener in self.listeners:
                try:
                    await listener(entry)
                except Exception:
                    log.exception("guardrail: a listener of the audit log failed")
        return written

    def override_key(self, route_id: str) -> str:
        return f"{self.key}override:{route_id}"

    def pilot_key(self, route_id: str) -> str:
        return f"{self.key}autopilot:{route_id}"

    def history_key(self, route_id: str) -> str:
        return f"{self.key}history:{route_id}"

    async def read(
        self, route_ids: Sequence[str], pilot_ids: Sequence[str]
    ) -> tuple[dict[str, bytes], dict[str, bytes], dict[str, int]]:
        """Raw overrides and autopilot states (as stored), and trip counts, in one trip."""
        pipe = self.redis.pipeline(transaction=False)
        if route_ids:
            pipe.mget([self.override_key(r) for r in route_ids])
        if pilot_ids:
            pipe.mget([self.pilot_key(r) for r in pilot_ids])
        pipe.hgetall(self.key + "trips")
        async with limit(READ_SECONDS):  # a status answer's budget, when it has one
            replies = await pipe.execute()
        overrides = dict(zip(route_ids, replies.pop(0), strict=True)) if route_ids else {}
        pilots = dict(zip(pilot_ids, replies.pop(0), strict=True)) if pilot_ids else {}
        trips = int_fields(replies[0])
        return (
            {k: v for k, v in overrides.items() if v is not None},
            {k: v for k, v in pilots.items() if v is not None},
            trips,
        )

    async def _cas(
        self,
        key: str,
        accept: Callable[[bytes | None], bool],
        write: Callable[[Pipeline], object],
    ) -> bool:
        """Run `write` in one transaction if `accept(current value)`; False if it did not
        (refused, or another worker changed the key first)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                current = cast("bytes | None", await pipe.get(key))  # replies are not decoded
                if not accept(current):
                    return False
                pipe.multi()
                write(pipe)
                await pipe.execute()
            except WatchError:
                return False
        return True

    def _log(self, pipe: Pipeline, route_id: str, entry: dict[str, Any]) -> None:
        key = self.history_key(route_id)
        pipe.rpush(key, _dumps(entry))
        pipe.ltrim(key, -HISTORY_LIMIT, -1)

    async def trip(self, route_id: str, override: dict[str, Any], entry: dict[str, Any]) -> bool:
        """Set the override unless one is set; the winner counts and logs the trip."""

        def write(pipe: Pipeline) -> None:
            pipe.set(self.override_key(route_id), _dumps(override))
            pipe.hincrby(self.key + "trips", route_id, 1)
            self._log(pipe, route_id, entry)

        written = await self._cas(self.override_key(route_id), lambda cur: cur is None, write)
        return await self._announce(written, entry)

    async def clear(
        self, route_id: str, entry: dict[str, Any], *, expected: bytes | None = None
    ) -> bool:
        """Remove the override (only the one read as `expected`, when given)."""

        def write(pipe: Pipeline) -> None:
            pipe.delete(self.override_key(route_id))
            self._log(pipe, route_id, entry)

        def accept(current: bytes | None) -> bool:
            return current is not None and (expected is None or current == expected)

        written = await self._cas(self.override_key(route_id), accept, write)
        return await self._announce(written, entry)

    async def move_pilot(
        self,
        route_id: str,
        expected: bytes | None,
        state: dict[str, Any],
        entry: dict[str, Any] | None,
    ) -> bool:
        """Replace the autopilot state read as `expected` (None: absent) by `state`."""

        def write(pipe: Pipeline) -> None:
            pipe.set(self.pilot_key(route_id), _dumps(state))
            if entry is not None:
                self._log(pipe, route_id, entry)

        written = await self._cas(self.pilot_key(route_id), lambda cur: cur == expected, write)
        return await self._announce(written, entry)

    async def once(self, route_id: str, seconds: float, entry: dict[str, Any]) -> bool:
        """True (and logged) for the first dry-run report of a route in `seconds`."""
        fresh = await self.redis.set(
            f"{self.key}dryrun:{route_id}", "1", nx=True, px=max(1, int(seconds * 1000))
        )
        if fresh:
            pipe = self.redis.pipeline(transaction=True)
            self._log(pipe, route_id, entry)
            pipe.hincrby(self.key + "dry_run_trips", route_id, 1)
            await pipe.execute()
        return await self._announce(bool(fresh), entry)

    async def history(self, route_id: str, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
        raw = await self.redis.lrange(self.history_key(route_id), -max(1, limit), -1)
        out = []
        for item in raw:
            try:
                out.append(json.loads(item))
            except ValueError:
                continue
        return out


