"""Evidence windows: a route's shadow outcomes counted afresh whenever its comparison changes.

Lifetime counts (`outcomes.py`) never forget, so a mismatch explained by a new
`compare` rule, or fixed by a modern deploy, would weigh on the route for thousands of
comparisons. A window holds only the evidence gathered under one comparison: a new
window opens when the route's `compare` rules or its modern upstream (the URL
compared against) change, when modern announces a version not seen before on the
route (`shadow.version_header`), or when an admin resets it (`strangler shadow
reset`, `POST /_strangler/api/routes/{id}/shadow/reset`). The last `KEEP_WINDOWS`
closed windows stay readable, unchanged, for history.

A comparison is counted in a window only when it was judged under that window's
comparison settings (`fingerprint`), so a window opened by a new rule starts at zero
even while older comparisons are still in flight. Readiness is judged on the recent
part of the window (`recent`): its newest `recent_comparisons` outcomes no older than
`recent_hours`.

Redis, under the prefix, per route: `shadow:{route}:window` (hash: the current
window's id, start, reason, fingerprint, version), `shadow:{route}:windows` (list,
newest first: JSON of closed windows), and per window id
`shadow:{route}:window:{id}:counts` (hash, the same fields as the lifetime counts)
and `shadow:{route}:window:{id}:recent` (list, newest first: one `<code><minute>`
entry per outcome). Windows open in WATCH/MULTI transactions, so however many
workers notice a change, one window opens. Every worker picks up a window opened
elsewhere at its next sync (every flush, ~0.5 s). The records themselves (a `Window`,
its stored forms, the fingerprint, the recent counts) are `window_records.py`.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict

import redis.asyncio
import redis.exceptions

from proxy.config import Route
from proxy.redis_replies import int_fields
from proxy.shadow.outcomes import OutcomeStore
from proxy.shadow.window_records import (
    RECENT_CODES,
    Window,
    closed_window,
    current_window,
    fingerprint,
    recent_counts,
    window_fields,
    with_version,
)

__all__ = ["KEEP_WINDOWS", "RECENT_CODES", "Window", "Windows", "fingerprint", "recent_counts"]

log = logging.getLogger("proxy.shadow")

KEEP_WINDOWS = 10
"""Closed windows kept per route (with their counts); older ones are deleted."""
MAX_PENDING_RECENT = 10_000


class Windows:
    """This worker's view of every route's current window, and the window counters.

    Parameters:
        client, key_prefix: the shared Redis and the deployment's prefix.
        upstream_url: the URL of an upstream by name (part of the fingerprint).
    """

    def __init__(
        self, client: redis.asyncio.Redis, key_prefix: str, upstream_url: Callable[[str], str]
    ) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._upstream_url = upstream_url
        # Window counters reuse the lifetime store (and its flush), keyed by window tag.
        self.counts = OutcomeStore(client, key_prefix)
        self._current: dict[str, Window] = {}
        self._seen: dict[str, str] = {}  # route id → fingerprint this worker last synced
        self._prints: dict[str, tuple[Route, str, str]] = {}
        self._recent: dict[str, list[str]] = {}
        self._caps: dict[str, int] = {}
        self._old_versions: dict[str, set[str]] = {}
        self._held: dict[tuple[str, str], _Held] = {}

    # -- keys ---------------------------------------------------------------------------

    def key(self, route_id: str) -> str:
        return f"{self._prefix}shadow:{route_id}:window"

    def history_key(self, route_id: str) -> str:
        return f"{self._prefix}shadow:{route_id}:windows"

    @staticmethod
    def tag_of(route_id: str, window_id: int) -> str:
        """The window's name in the counter store (its counts key reads `…:window:{id}:counts`)."""
        return f"{route_id}:window:{window_id}"

    def recent_key(self, route_id: str, window_id: int) -> str:
        return f"{self._prefix}shadow:{self.tag_of(route_id, window_id)}:recent"

    # -- the counting path: synchronous, no I/O -----------------------------------------

    def _print(self, route: Route) -> tuple[str, str]:
        """(fingerprint, upstream URL) of a route, cached per route object."""
        cached = self._prints.get(route.id)
        if cached is not None and cached[0] is route:
            return cached[1], cached[2]
        url = self._upstream_url(route.shadow.upstream or "modern")
        value = fingerprint(route, url)
        self._prints[route.id] = (route, value, url)
        return value, url

    def count(self, route: Route, field: str, amount: int = 1) -> None:
        """Count in the window of the rules `route` was judged under.

        Until this worker knows that window (a reload applied here, the window not yet
        opened or adopted at the next sync), the counts wait in `_held` and are placed
        by `sync`: a new window starts at zero yet misses none of its comparisons.
        """
        mine = self._print(route)[0]
        window = self._current.get(route.id)
        if window is not None and window.fingerprint == mine:
            self._place(route, self.tag_of(route.id, window.id), field, amount)
            return
        held = self._held.setdefault((route.id, mine), _Held(route))
        if held.size < MAX_PENDING_RECENT:
            held.counts[field] += amount
            held.size += amount
            code = RECENT_CODES.get(field)
            if code is not None:
                held.recent.extend([f"{code}{int(time.time() // 60)}"] * amount)

    def _place(self, route: Route, tag: str, field: str, amount: int) -> None:
        self.counts.count(tag, field, amount)
        code = RECENT_CODES.get(field)
        if code is not None:
            self._log(route, tag, [f"{code}{int(time.time() // 60)}"] * amount)

    def _log(self, route: Route, tag: str, entries: list[str]) -> None:
        pending = self._recent.setdefault(tag, [])
        if len(pending) < MAX_PENDING_RECENT:
            pending.extend(entries)
        self._caps[tag] = route.shadow.recent_comparisons

    def _settle_held(self, synced: set[str]) -> None:
        """Place held counts whose window is now known; drop those of rules this worker
        no longer has (they belong to no window)."""
        for (route_id, mine), held in list(self._held.items()):
            window = self._current.get(route_id)
            if window is not None and window.fingerprint == mine:
                tag = self.tag_of(route_id, window.id)
                for field, amount in held.counts.items():
                    self.counts.count(tag, field, amount)
                self._log(held.route, tag, held.recent)
            elif route_id in synced and self._seen.get(route_id) == mine:
                continue  # still this worker's rules: wait for their window
            del self._held[(route_id, mine)]

    def current(self, route_id: str) -> Window | None:
        return self._current.get(route_id)

    # -- background: sync, open, flush -------------------------------------------------

    async def sync(self, routes: Iterable[Route]) -> None:
        """Adopt each route's current window; open one where this worker's rules changed.

        A worker opens a window only for a change it made itself (its table changed
        since its last sync, or it just started with other rules). A worker still on
        an older table adopts nothing new and counts into no window until it reloads,
        so two workers never flip a window back and forth.
        """
        routes = list(routes)
        replies: list[dict[bytes | str, bytes | str]] = []
        if routes:
            async with self._redis.pipeline(transaction=False) as pipe:
                for route in routes:
                    pipe.hgetall(self.key(route.id))
                replies = await pipe.execute()
        for route, raw in zip(routes, replies, strict=True):
            window = current_window(raw)
            mine, url = self._print(route)
            if window is not None and window.fingerprint == mine:
                self._adopt(route.id, window)
            elif window is None or self._seen.get(route.id) != mine:
                reason = "first comparison" if window is None else _changed(window, url)
                self._adopt(route.id, await self._open(route, reason, expect=window))
            self._seen[route.id] = mine
        self._settle_held({route.id for route in routes})

    async def reset(self, route: Route, reason: str, version: str | None = None) -> Window:
        """Open a new window now (an admin's reset, or an announced deploy)."""
        why = f"reset: {reason}" if version is None else f"modern version {version}: {reason}"
        window = await self._open(route, why, version=version, force=True)
        self._adopt(route.id, window)
        self._seen[route.id] = self._print(route)[0]
        return window

    async def observe_version(self, route: Route, version: str) -> bool:
        """Open a window when modern announces a version new to this route; True if opened.

        A version met in an earlier window (old instances still answering during a
        rolling deploy) does not open one; going back to an older version is an
        admin's reset.
        """
        window = self._current.get(route.id)
        if window is None or window.version == version:
            return False
        if version in self._old_versions.get(route.id, set()):
            return False
        if window.version is None:
            await self._redis.hsetnx(self.key(route.id), "version", version)
            self._adopt(route.id, with_version(window, version))
            return False
        opened = await self._open(
            route, f"modern version {window.version} → {version}", version=version, new=version
        )
        self._adopt(route.id, opened)
        return opened.version == version and opened.id != window.id

    def _adopt(self, route_id: str, window: Window) -> None:
        previous = self._current.get(route_id)
        if previous is not None and previous.id != window.id:
            self.counts.forget(self.tag_of(route_id, previous.id))
            if previous.version is not None:
                self._old_versions.setdefault(route_id, set()).add(previous.version)
        self._current[route_id] = window

    async def _open(
        self,
        route: Route,
        reason: str,
        *,
        expect: Window | None = None,
        version: str | None = None,
        new: str | None = None,
        force: bool = False,
    ) -> Window:
        """Close the current window and open the next, unless another worker just did.

        `expect` is the window the caller saw: if Redis holds another by now, that one
        is adopted instead (unless `force`). `new`: open only if this version is still
        new to the route.
        """
        key, history = self.key(route.id), self.history_key(route.id)
        mine, url = self._print(route)
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key, history)
                    current = current_window(await pipe.hgetall(key))
                    if not force and current is not None:
                        seen = [json.loads(raw) for raw in await pipe.lrange(history, 0, -1)]
                        versions = {w.get("version") for w in seen} | {current.version}
                        # A version is new only once; a worker on other rules than the
                        # window's (a reload not yet applied here) does not open one.
                        if new is not None and (new in versions or current.fingerprint != mine):
                            await pipe.unwatch()
                            return current
                        if new is None and (
                            current.fingerprint == mine
                            or (expect is not None and current.id != expect.id)
                        ):
                            await pipe.unwatch()
                            return current
                    now = time.time()
                    next_id = (current.id + 1) if current is not None else 1
                    kept = version if version is not None else (current and current.version)
                    opened = Window(next_id, now, reason, mine, url, kept or None)
                    pipe.multi()
                    if current is not None:
                        closed = Window(**{**asdict(current), "ended_at": now, "ended_by": reason})
                        pipe.lpush(history, json.dumps(asdict(closed)))
                        pipe.ltrim(history, 0, KEEP_WINDOWS - 1)
                        dropped = next_id - KEEP_WINDOWS - 1
                        if dropped >= 1:
                            pipe.delete(
                                self.counts.counts_key(self.tag_of(route.id, dropped)),
                                self.recent_key(route.id, dropped),
                            )
                    pipe.delete(key)
                    pipe.hset(key, mapping=window_fields(opened))  # type: ignore[arg-type]  # redis-py's mapping key type is invariant
                    await pipe.execute()
                    log.info("shadow: %s evidence window %d opened: %s", route.id, next_id, reason)
                    return opened
                except redis.exceptions.WatchError:
                    continue  # another worker changed it meanwhile: look again

    async def flush(self) -> None:
        """Send the window counters and the recent-outcome logs."""
        await self.counts.flush()
        pending, self._recent = self._recent, {}
        if not pending:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for tag, entries in pending.items():
                    key = f"{self._prefix}shadow:{tag}:recent"
                    pipe.lpush(key, *entries)
                    pipe.ltrim(key, 0, self._caps.get(tag, MAX_PENDING_RECENT) - 1)
                await pipe.execute()
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("shadow: cannot write recent outcomes (kept for the next try): %s", exc)
            for tag, entries in pending.items():
                kept = entries + self._recent.get(tag, [])
                self._recent[tag] = kept[-MAX_PENDING_RECENT:]

    # -- reading ------------------------------------------------------------------------

    async def read(self, route: Route) -> dict[str, object]:
        """The current window (counts, recent outcomes) and the closed ones, from Redis."""
        key, history = self.key(route.id), self.history_key(route.id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(key)
            pipe.lrange(history, 0, KEEP_WINDOWS - 1)
            current_raw, history_raw = await pipe.execute()
        current = current_window(current_raw)
        closed = [window for raw in history_raw if (window := closed_window(raw)) is not None]
        windows = ([current] if current is not None else []) + closed
        async with self._redis.pipeline(transaction=False) as pipe:
            for window in windows:
                pipe.hgetall(self.counts.counts_key(self.tag_of(route.id, window.id)))
            if current is not None:
                pipe.lrange(self.recent_key(route.id, current.id), 0,
                            route.shadow.recent_comparisons - 1)  # fmt: skip
            replies = await pipe.execute()
        counts = [int_fields(raw) for raw in replies[: len(windows)]]
        recent = (
            recent_counts(
                replies[-1],
                limit=route.shadow.recent_comparisons,
                hours=route.shadow.recent_hours,
                now=time.time(),
            )
            if current is not None
            else dict.fromkeys(RECENT_CODES, 0)
        )
        return {
            "current": current,
            "counts": counts[0] if current is not None else {},
            "recent": recent,
            "closed": list(zip(closed, counts[1 if current is not None else 0 :], strict=True)),
        }


class _Held:
    """Counts of one route under rules whose window this worker does not know yet."""

    __slots__ = ("counts", "recent", "route", "size")

    def __init__(self, route: Route) -> None:
        self.route = route
        self.counts: Counter[str] = Counter()
        self.recent: list[str] = []
        self.size = 0


def _changed(window: Window, url: str) -> str:
    if window.upstream != url:
        return f"modern upstream changed ({window.upstream} → {url})"
    return "compare rules changed"

