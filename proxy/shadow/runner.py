"""The shadow service: decide, queue, replay, compare, count.

Data path (synchronous, no I/O): `wants()` checks stage, method and sample rate;
`submit()` puts the captured exchange on the route's bounded lane or counts a drop.
Background: each lane's dispatcher starts a replay task per item within the route's
concurrency limit; a replay sends the request to modern (or the isolated
`shadow.upstream`), sometimes also to legacy a second time (noise learning), compares,
and records the outcome, per-path counts and evidence. A GET that would count as a
mismatch is first rechecked against legacy asked again (`shadow.recheck`): a write
between legacy's answer and modern's read is data moving, not modern being wrong. A
loop flushes the counts to Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import redis.exceptions

from proxy.config import Route
from proxy.counters import Outage, limit
from proxy.exchange import CapturedRequest, CapturedResponse, ShadowDeps
from proxy.shadow.compare import Verdict, compare_responses
from proxy.shadow.controls import Overrides, ShadowOverride
from proxy.shadow.evidence import EvidenceStore
from proxy.shadow.judge import Judge
from proxy.shadow.lanes import Item, Lane
from proxy.shadow.outcomes import READ_TIMEOUT, OutcomeStore
from proxy.shadow.replay import BodyTooLarge, NotMirrorable, ReplayFailed, replay, sendable_target
from proxy.shadow.status import RECHECK_COUNTS, build_status, metrics_text
from proxy.shadow.windows import Window, Windows

__all__ = ["FLUSH_INTERVAL", "ShadowService"]

log = logging.getLogger("proxy.shadow")

FLUSH_INTERVAL = 0.5
PRIMARY_MODERN = "modern"
RECHECKED_METHODS = frozenset({"GET", "HEAD"})


class ShadowService:
    """Implements `proxy.exchange.ShadowSink`; created by `create_shadow(deps)`."""

    def __init__(self, deps: ShadowDeps, *, rng: Callable[[], float] = random.random) -> None:
        self._deps = deps
        self._random = rng
        self.outcomes = OutcomeStore(deps.redis, deps.key_prefix)
        self.evidence = EvidenceStore(deps.redis, deps.key_prefix)
        self.overrides = Overrides(deps.redis, deps.key_prefix)
        self.windows = Windows(deps.redis, deps.key_prefix, deps.upstream_url)
        self._judge = Judge(self.outcomes, self.evidence, self.windows)
        self._count = self._judge.count
        # One thread: comparisons are serialised, and share the GIL with the event loop
        # in 5 ms slices instead of holding the loop for a whole multi-megabyte walk.
        self._cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shadow-compare")
        self._lanes: dict[str, Lane] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._windows_outage = Outage(
            "shadow evidence windows", log, meanwhile="counts wait for the window they belong to"
        )
        self._running = False

    # -- the data path: synchronous, cheap, never awaits -------------------------------

    def wants(self, route: Route, method: str) -> bool:
        if not route.mirrors or not route.mirrors_method(method):
            return False
        rate = self.overrides.sample_rate(route)
        if rate < 1.0 and self._random() >= rate:
            self._count(route, "sampled_out")
            return False
        return True

    def capture_limit(self, route: Route) -> int:
        return route.shadow.max_body_bytes

    def submit(self, route: Route, request: CapturedRequest, legacy: CapturedResponse) -> None:
        reason = None
        if request.body is None:
            reason = request.body_skipped or "request body not captured"
        elif legacy.body is None:
            reason = f"legacy body over {route.shadow.max_body_bytes} bytes"
        elif legacy.upstream != "legacy":
            reason = f"answered by {legacy.upstream}"
        else:
            try:
                sendable_target(request)
            except NotMirrorable as exc:  # decided here: no queue slot, no task
                reason = str(exc)
        if reason is not None:
            self._skip(route, reason)
            return
        if not self._running:
            self._count(route, "dropped")
            return
        lane = self._lane(route)
        if lane.queue.full():  # the common case under overload: no item, no exception
            self._count(route, "dropped")
            return
        lane.queue.put_nowait(Item(route, request, legacy))

    # -- status -------------------------------------------------------------------------

    async def route_status(self, route_id: str) -> dict[str, object] | None:
        route = self._deps.routes().route(route_id)
        if route is None:
            return None
        stale = None
        windows: dict[str, object] | None = None
        try:
            # Bounded (by the status answer's budget when it set one): a stalled Redis
            # raises redis's TimeoutError, like any other Redis failure.
            async with limit(READ_TIMEOUT):
                await self.flush()
                counts, latency = await self.outcomes.read(route_id)
                windows = await self.windows.read(route)
        except (redis.exceptions.RedisError, OSError) as exc:
            # Status must answer during a Redis outage: this worker's own view, marked.
            counts, latency, stale = self.outcomes.counts(route_id), {}, str(exc) or repr(exc)
        if not route.mirrors and not counts:
            return None
        status = build_status(route, counts, latency, windows)
        status["settings"] = self.settings_of(route)
        if stale is not None:
            status["stale"] = f"Redis unavailable, this worker's counts only: {stale}"
        return status

    async def diffs(self, route_id: str) -> list[dict[str, object]]:
        try:
            await self.flush()
            return await self.evidence.recent(route_id)
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("shadow: cannot read evidence from Redis: %s", exc)
            return []

    async def metrics(self) -> str:
        """Prometheus text lines built from the Redis-shared counts (every worker's)."""
        await self.flush()
        rows = []
        for route in self._deps.routes().routes:
            counts = (await self.outcomes.read(route.id))[0]
            if counts:
                recent = (await self.windows.read(route))["recent"]
                rows.append((route, counts, recent if isinstance(recent, dict) else None))
        return metrics_text(rows)

    async def reset(self, route: Route, reason: str, version: str | None = None) -> Window:
        """Start the route's evidence afresh (counts so far go to the closed window)."""
        async with self._flush_lock:
            await self._flush_counts()
            return await self.windows.reset(route, reason, version)

    def route(self, route_id: str) -> Route | None:
        """The route of that id in the table in force now."""
        return self._deps.routes().route(route_id)

    async def apply_override(
        self, route_id: str, change: Mapping[str, float | None]
    ) -> dict[str, float]:
        """Store the override for every worker; `change` is checked here again, since the
        protocol carries plain values (a `ShadowOverride` once validated)."""
        return await self.overrides.apply(route_id, ShadowOverride.model_validate(change))

    def settings_of(self, route: Route) -> dict[str, object]:
        effective = self.overrides.effective(route)
        return {
            "mirrors": route.mirrors,
            "upstream": route.shadow.upstream or PRIMARY_MODERN,
            "sample_rate": effective.sample_rate,
            "concurrency": effective.concurrency,
            "timeout": effective.timeout,
            "overrides": self.overrides.of(route.id),
        }

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        await self._refresh_overrides()
        with contextlib.suppress(redis.exceptions.RedisError, OSError):
            await self.windows.sync(r for r in self._deps.routes().routes if r.mirrors)
        self._loop_task = asyncio.create_task(self._flush_loop(), name="shadow-flush")

    async def stop(self) -> None:
        """Stop taking work, cancel replays in flight, and flush what was counted."""
        self._running = False
        tasks = [lane.task for lane in self._lanes.values() if lane.task] + list(self._tasks)
        if self._loop_task:
            tasks.append(self._loop_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._lanes.clear()
        self._cpu.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(Exception):
            await self.flush()

    async def flush(self) -> None:
        """Sync the evidence windows (so counts held for a new window are placed), then
        send every buffered count."""
        async with self._flush_lock:
            try:
                await self.windows.sync(r for r in self._deps.routes().routes if r.mirrors)
            except (redis.exceptions.RedisError, OSError) as exc:
                self._windows_outage.failed(exc)
            else:
                self._windows_outage.recovered()
            await self._flush_counts()

    async def _flush_counts(self) -> None:
        await self.outcomes.flush()
        await self.windows.flush()
        await self.evidence.flush()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            try:
                await self.flush()
                await self._refresh_overrides()
            except Exception:  # the loop must outlive a Redis outage
                log.exception("shadow: background flush failed")

    async def _refresh_overrides(self) -> None:
        ids = [route.id for route in self._deps.routes().routes if route.mirrors]
        with contextlib.suppress(Exception):
            await self.overrides.refresh(ids)

    # -- background work ----------------------------------------------------------------

    def _skip(self, route: Route, reason: str) -> None:
        self._count(route, "skipped")
        self._count(route, f"skipped:{reason}")

    def _lane(self, route: Route) -> Lane:
        lane = self._lanes.get(route.id)
        if lane is None or lane.queue.maxsize != route.shadow.queue_size:
            if lane is not None:
                lane.retire()
            lane = self._lanes[route.id] = Lane(route.shadow.queue_size)
            lane.task = asyncio.get_running_loop().create_task(self._dispatch(lane))
        return lane

    async def _dispatch(self, lane: Lane) -> None:
        while True:
            item = await lane.queue.get()
            if item is None:
                return
            await lane.limiter.acquire(self.overrides.effective(item.route).concurrency)
            task = asyncio.create_task(self._compare_or_skip(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(lambda _t: lane.limiter.release())
            if lane.retired and lane.queue.empty():
                return

    async def _call(self, item: Item, upstream: str, timeout: float) -> CapturedResponse:
        return await replay(
            self._deps.session(upstream),
            self._deps.upstream_url(upstream),
            item.request,
            upstream=upstream,
            timeout=timeout,
            body_cap=item.route.shadow.max_body_bytes,
        )

    async def _verdict(
        self, item: Item, other: CapturedResponse, legacy: CapturedResponse | None = None
    ) -> Verdict:
        """Compare off the event loop: a big body's decode and walk must not stall users.
        `legacy` defaults to the answer the user got."""
        loop = asyncio.get_running_loop()
        args = (legacy or item.legacy, other, item.route.compare, item.request.query_string)
        return await loop.run_in_executor(self._cpu, compare_responses, *args)

    async def _recheck(
        self, item: Item, modern: CapturedResponse, verdict: Verdict, timeout: float
    ) -> Verdict:
        """The verdict to judge for an exchange that would be a mismatch: modern against
        legacy asked again now, if they agree (the data moved between the first two
        reads), else the first verdict. Counted under `RECHECK_COUNTS`."""
        route = item.route
        try:
            fresh = await self._call(item, "legacy", timeout)
        except (TimeoutError, BodyTooLarge, NotMirrorable, ReplayFailed):
            return verdict  # legacy cannot say now: the first comparison stands
        self._count(route, RECHECK_COUNTS["rechecked"])
        again = await self._verdict(item, modern, legacy=fresh)
        if self._judge.reports(route, again):
            return verdict
        self._count(route, RECHECK_COUNTS["cleared"])
        return again

    async def _compare_or_skip(self, item: Item) -> None:
        """A replay task never ends in an exception nobody retrieves: a failure of our
        own is logged and the exchange counted as skipped, with the reason."""
        try:
            await self._compare(item)
        except Exception as exc:
            log.exception("shadow: comparing %s %s failed", item.route.id, item.request.path)
            self._skip(item.route, f"internal error: {type(exc).__name__}")

    async def _observe_version(self, route: Route, modern: CapturedResponse) -> None:
        """A version modern announces for the first time starts a new evidence window,
        before this comparison is counted (it is the new version's first)."""
        header = route.shadow.version_header
        if header is None:
            return
        version = next((v for k, v in modern.headers if k == header), None)
        if not version:
            return
        try:
            await self.windows.observe_version(route, version[:200])
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("shadow: cannot record modern's version for %s: %s", route.id, exc)

    async def _compare(self, item: Item) -> None:
        route, request = item.route, item.request
        target = route.shadow.upstream or PRIMARY_MODERN
        if not route.mirrors_method(request.method):
            self._skip(route, "unsafe method never mirrored to the primary modern")
            return
        timeout = self.overrides.effective(route).timeout
        calls = [self._call(item, target, timeout)]
        learn = request.method == "GET" and self._random() < route.shadow.noise_rate
        if learn:
            calls.append(self._call(item, "legacy", timeout))
        results = await asyncio.gather(*calls, return_exceptions=True)
        self.outcomes.latency(route.id, "legacy", item.legacy.elapsed)
        if learn and isinstance(results[1], CapturedResponse):
            self._judge.learn_noise(route, await self._verdict(item, results[1]))
        modern = results[0]
        if isinstance(modern, CapturedResponse):
            self.outcomes.latency(route.id, "modern", modern.elapsed)
            await self._observe_version(route, modern)
            verdict = await self._verdict(item, modern)
            if (
                route.shadow.recheck
                and request.method in RECHECKED_METHODS
                and self._judge.reports(route, verdict)
            ):
                verdict = await self._recheck(item, modern, verdict, timeout)
            self._judge.judge(route, request, verdict)
        elif isinstance(modern, TimeoutError):
            self._count(route, "timeout")
        elif isinstance(modern, BodyTooLarge | NotMirrorable):
            self._skip(route, str(modern))
        elif isinstance(modern, ReplayFailed):
            log.debug("shadow: %s %s failed on %s: %r", route.id, request.path, target, modern)
            self._count(route, "modern_error")
        elif isinstance(modern, BaseException):
            raise modern
