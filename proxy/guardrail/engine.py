"""`Guardrail`: one worker's part in watching canaries, tripping overrides, autopilot.

The data path touches only `effective` (a dict lookup: the route as the guardrail
wants it served) and `observe` (dict increments). Everything else runs in one
background task per worker, every `TICK` seconds:

1. flush this worker's canary outcomes into the shared window (`window`);
2. refresh the local snapshot of overrides and autopilot positions from Redis and
   rebuild the effective routes from it (`store`, `positions`);
3. lift overrides and restart autopilot records that routes.yaml has since changed;
4. judge each canary route whose turn it is (`analysis`) and, when failing, trip its
   override — or only report it, in dry-run;
5. let autopilot take the next step of each route that earned it.

Every worker reaches the same conclusions from the same shared counts; the store's
compare-and-set makes exactly one of them act on each.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from proxy.config import Route
from proxy.guardrail.analysis import Verdict, VerdictState, judge
from proxy.guardrail.positions import LEGACY, Position, apply, configured, next_position
from proxy.guardrail.readiness import ShadowReadiness
from proxy.guardrail.store import Store, audit_entry
from proxy.guardrail.window import Recorder, WindowStore
from proxy.loops import Outage, Periodic

if TYPE_CHECKING:
    import redis.asyncio

    from proxy.routing import RouteTable

__all__ = ["TICK", "Guardrail"]

log = logging.getLogger("strangler.guardrail")

TICK = 0.25
"""Seconds between two rounds of the background task."""
MIN_EVALUATION_GAP = 0.25
MAX_EVALUATION_GAP = 15.0


@dataclass(frozen=True)
class _Record:
    """An override or autopilot state as read from Redis (`raw` for compare-and-set)."""

    raw: bytes
    data: dict[str, Any]

    @classmethod
    def parse(cls, raw: bytes) -> _Record | None:
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return cls(raw, data) if isinstance(data, dict) else None

    @property
    def at(self) -> float:
        value = self.data.get("ts", 0.0)
        return float(value) if isinstance(value, int | float) else 0.0


def fingerprint(route: Route) -> str:
    """What routes.yaml says about a route, hashed: a change lifts its override."""
    return hashlib.sha256(route.model_dump_json().encode()).hexdigest()[:16]


class Guardrail:
    """Canary analysis, guardrail overrides and autopilot for one proxy worker.

    Parameters:
        redis: the shared client.
        prefix: the deployment's key prefix.
        table: returns the route table in force (it is swapped on reload).
        shadow_ready: how autopilot learns that a shadowed route is ready.
    """

    def __init__(
        self,
        redis: redis.asyncio.Redis,
        prefix: str,
        table: Callable[[], RouteTable],
        shadow_ready: ShadowReadiness,
    ) -> None:
        self.recorder = Recorder()
        self.windows = WindowStore(redis, prefix)
        self.store = Store(redis, prefix)
        self._table = table
        self._shadow_ready = shadow_ready
        self._effective: dict[str, tuple[Route, Route]] = {}
        self._overrides: dict[str, _Record] = {}
        self._pilots: dict[str, _Record] = {}
        self._trips: dict[str, int] = {}
        self._raw: object = None
        self._verdicts: dict[str, Verdict] = {}
        self._evaluated: dict[str, float] = {}
        self._fingerprints: dict[int, tuple[Route, str]] = {}
        self._loop = Periodic("strangler-guardrail", TICK, self._round)
        self._outage = Outage(
            log, "guardrail round failed (last snapshot kept): %r", "guardrail rounds work again"
        )

    # -- hot path: no await, no I/O -------------------------------------------------

    def effective(self, route: Route) -> Route:
        """The route as it is to be served now: overridden, autopiloted, or as configured."""
        entry = self._effective.get(route.id)
        if entry is None or entry[0] is not route:
            return route
        return entry[1]

    def observe(self, route: Route, target: str, *, failed: bool, elapsed: float) -> None:
        """Count one upstream attempt of a route served at canary."""
        if route.stage == "canary":
            self.recorder.observe(route.id, route.analysis.interval, target, failed, elapsed)

    def verdict(self, route_id: str) -> VerdictState:
        """The latest canary verdict of a route served at canary: healthy, failing, or
        insufficient (also for a route not at canary). For readiness rules elsewhere."""
        found = self._verdicts.get(route_id)
        return found.state if found is not None else "insufficient"

    def latest(self, route_id: str) -> Verdict | None:
        """The whole latest verdict (state, reason, figures), None before the first."""
        return self._verdicts.get(route_id)

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        with contextlib.suppress(Exception):
            await self.windows.flush(self.recorder)

    async def _round(self) -> None:
        try:
            await self.tick()
        except Exception as exc:  # Redis away: serve the last snapshot, retry
            self._outage.failed(exc)
        else:
            self._outage.worked()

    # -- the background round ---------------------------------------------------------

    async def tick(self, *, now: float | None = None) -> None:
        moment = time.time() if now is None else now
        await self.windows.flush(self.recorder, now=moment)
        table = self._table()
        await self.refresh(table)
        changed = await self._lift_stale(table)
        for route in table.config.routes:
            served = self.effective(route)
            if served.stage != "canary":
                self._verdicts.pop(route.id, None)  # no canary: no verdict to lean on
            elif self._due(route, moment):
                verdict = await self._judge(route, moment)
                if verdict.state == "failing" and route.guardrail != "off":
                    changed |= await self._trip(route, served, verdict)
            if route.autopilot is not None:
                changed |= await self._pilot(route, table, moment)
        if changed:
            await self.refresh(table)

    async def refresh(self, table: RouteTable | None = None) -> None:
        """Read overrides, autopilot states and trips; rebuild the effective routes."""
        table = table if table is not None else self._table()
        routes = table.config.routes
        ids = [r.id for r in routes]
        pilot_ids = [r.id for r in routes if r.autopilot is not None]
        overrides, pilots, trips = await self.store.read(ids, pilot_ids)
        self._trips = trips
        raw = (table, overrides, pilots)
        if raw == self._raw:
            return
        self._raw = raw
        self._overrides = {k: r for k, v in overrides.items() if (r := _Record.parse(v))}
        self._pilots = {k: r for k, v in pilots.items() if (r := _Record.parse(v))}
        self.rebuild(table)

    async def try_refresh(self, table: RouteTable | None = None) -> bool:
        """`refresh`, or False (the last snapshot kept) when Redis cannot answer."""
        try:
            await self.refresh(table)
        except (RedisError, OSError) as exc:
            log.warning("guardrail snapshot not refreshed (last one kept): %r", exc)
            return False
        return True

    def rebuild(self, table: RouteTable) -> None:
        """Recompute the effective routes for `table` from the snapshot (no I/O: also
        called right after a reload swaps the table)."""
        effective: dict[str, tuple[Route, Route]] = {}
        for route in table.config.routes:
            position, _ = self.position(route, table)
            served = apply(route, position)
            if served is not route:
                effective[route.id] = (route, served)
        self._effective = effective

    def position(self, route: Route, table: RouteTable | None = None) -> tuple[Position, str]:
        """Where the route is served from, and why (`routes.yaml`, `guardrail`, `autopilot`)."""
        table = table if table is not None else self._table()
        override = self._overrides.get(route.id)
        if override is not None and self._current(override, route, table):
            return LEGACY, "guardrail"
        pilot = self._pilots.get(route.id)
        if pilot is not None and route.autopilot is not None and self._current(pilot, route, table):
            place = Position.load(pilot.data.get("position"))
            halted = pilot.data.get("status") == "halted"
            if place is not None and not halted and place.rank > configured(route).rank:
                return place, "autopilot"
        return configured(route), "routes.yaml"

    def _fingerprint(self, route: Route) -> str:
        cached = self._fingerprints.get(id(route))
        if cached is not None and cached[0] is route:
            return cached[1]
        if len(self._fingerprints) > 4 * len(self._table().config.routes) + 64:
            self._fingerprints.clear()
        value = fingerprint(route)
        self._fingerprints[id(route)] = (route, value)
        return value

    def _current(self, record: _Record, route: Route, table: RouteTable) -> bool:
        """A record holds while routes.yaml says what it said when the record was made.

        A worker whose file is older than the record (a reload still on its way)
        keeps honouring it: only a file loaded after the record can lift it.
        """
        if record.data.get("fingerprint") == self._fingerprint(route):
            return True
        return table.loaded.loaded_at.timestamp() < record.at

    async def _lift_stale(self, table: RouteTable) -> bool:
        lifted = False
        for route in table.config.routes:
            override = self._overrides.get(route.id)
            if override is None or self._current(override, route, table):
                continue
            entry = audit_entry(
                route.id,
                "lifted",
                reason=f"routes.yaml changed the route (revision {table.loaded.revision})",
                to=configured(route).label,
            )
            if await self.store.clear(route.id, entry, expected=override.raw):
                log.warning("guardrail override of route %s lifted: %s", route.id, entry["reason"])
                await self.windows.reset(route.id, route.analysis.interval)
                lifted = True
        return lifted

    def _due(self, route: Route, moment: float) -> bool:
        gap = min(MAX_EVALUATION_GAP, max(MIN_EVALUATION_GAP, route.analysis.interval / 4))
        return moment - self._evaluated.get(route.id, 0.0) >= gap - 1e-6

    async def _judge(self, route: Route, moment: float) -> Verdict:
        counts = await self.windows.read(route.id, route.analysis.interval, now=moment)
        verdict = judge(counts, route.analysis)
        self._verdicts[route.id] = verdict
        self._evaluated[route.id] = moment
        return verdict

    async def analyse(self, route: Route) -> Verdict:
        """A fresh verdict for status and metrics (not remembered as the tick's)."""
        counts = await self.windows.read(route.id, route.analysis.interval)
        return judge(counts, route.analysis)

    async def _trip(self, route: Route, served: Route, verdict: Verdict) -> bool:
        was = configured(served).label
        if route.guardrail == "dry-run":
            entry = audit_entry(
                route.id,
                "dry-run",
                reason=verdict.reason,
                figures=verdict.figures,
                **{"from": was, "to": "legacy"},
            )
            if await self.store.once(route.id, route.analysis.interval, entry):
                log.warning(
                    "guardrail (dry-run) would send route %s back to legacy: %s %s",
                    route.id,
                    verdict.reason,
                    json.dumps(verdict.figures),
                )
            return False
        entry = audit_entry(
            route.id,
            "trip",
            reason=verdict.reason,
            figures=verdict.figures,
            **{"from": was, "to": "legacy"},
        )
        override = {**entry, "stage": "legacy", "fingerprint": self._fingerprint(route)}
        if not await self.store.trip(route.id, override, entry):
            return False
        log.warning(
            "guardrail sent route %s back to legacy (was %s): %s %s",
            route.id,
            was,
            verdict.reason,
            json.dumps(verdict.figures),
        )
        return True

    async def clear(self, route_id: str, *, by: str = "admin") -> bool:
        """Lift a route's override by hand; False when it has none."""
        table = self._table()
        route = table.by_id.get(route_id)
        entry = audit_entry(route_id, "cleared", reason=f"cleared by {by}")
        if not await self.store.clear(route_id, entry):
            return False
        if route is not None:
            await self.windows.reset(route.id, route.analysis.interval)
        log.warning("guardrail override of route %s cleared by %s", route_id, by)
        await self.refresh(table)
        return True

    # -- autopilot --------------------------------------------------------------------

    async def _pilot(self, route: Route, table: RouteTable, moment: float) -> bool:
        record = self._pilots.get(route.id)
        base = configured(route)
        if record is None or not self._current(record, route, table):
            return await self._pilot_start(route, record, base)
        data = record.data
        if data.get("status") != "running":
            return False
        place = Position.load(data.get("position")) or base
        override = self._overrides.get(route.id)
        if override is not None and self._current(override, route, table):
            state = {**data, "status": "halted", "ts": moment}
            entry = audit_entry(
                route.id,
                "halted",
                at_position=place.label,
                reason="the guardrail sent the route back to legacy: "
                + str(override.data.get("reason", "")),
            )
            return await self.store.move_pilot(route.id, record.raw, state, entry)
        target = next_position(route, place)
        if target is None:
            return False
        since = float(data.get("since", moment))
        if place.stage == "shadow":
            ready, figures = await self._shadow_ready(route.id)
            if not ready:
                return False
            reason = "shadow comparison ready to promote"
        elif place.stage == "canary":
            if moment - since < route.analysis.interval:
                return False
            verdict = await self._judge(route, moment)
            if verdict.state != "healthy":
                return False
            figures, reason = verdict.figures, f"held {moment - since:.1f} s: {verdict.reason}"
        else:
            return False
        status = "done" if target.stage == "modern" else "running"
        state = {**data, "position": target.dump(), "since": moment, "status": status}
        entry = audit_entry(
            route.id,
            "step",
            reason=reason,
            figures=figures,
            **{"from": place.label, "to": target.label},
        )
        moved = await self.store.move_pilot(route.id, record.raw, state, entry)
        if moved:
            log.warning(
                "autopilot moved route %s from %s to %s: %s",
                route.id,
                place.label,
                target.label,
                reason,
            )
        return moved

    async def _pilot_start(self, route: Route, record: _Record | None, base: Position) -> bool:
        done = base.stage in ("modern", "retired")
        now = time.time()
        state = {
            "fingerprint": self._fingerprint(route),
            "ts": now,
            "since": now,
            "position": base.dump(),
            "status": "done" if done else "running",
        }
        why = "routes.yaml changed the route" if record is not None else "autopilot on"
        entry = audit_entry(route.id, "start", reason=why, at_position=base.label)
        return await self.store.move_pilot(
            route.id, record.raw if record is not None else None, state, entry
        )

    # -- reading, for status and metrics ---------------------------------------------

    def override_of(self, route: Route) -> dict[str, Any] | None:
        record = self._overrides.get(route.id)
        if record is None or not self._current(record, route, self._table()):
            return None
        return {k: v for k, v in record.data.items() if k not in ("fingerprint", "ts", "worker")}

    def pilot_of(self, route: Route) -> dict[str, Any] | None:
        if route.autopilot is None:
            return None
        record = self._pilots.get(route.id)
        out: dict[str, Any] = {"steps": list(route.autopilot.steps)}
        if record is None:
            return {**out, "status": "starting"}
        place = Position.load(record.data.get("position")) or configured(route)
        following = next_position(route, place)
        since = record.data.get("since")
        return {
            **out,
            "status": record.data.get("status"),
            "position": place.as_json(),
            "next": following.label if following is not None else None,
            "since": since,
            "held_seconds": round(time.time() - since, 1) if isinstance(since, float) else None,
        }

    def trips(self, route_id: str) -> int:
        return self._trips.get(route_id, 0)
