"""Each worker's history task: a snapshot when the migration's state changes, and one per
interval.

The state is every route's (stage, effective stage, canary percent) plus the routes.yaml
revision. Every worker checks it once a second (in memory, no I/O); when it changed,
the worker swaps the state's digest in Redis (`SET … GET`), and only the worker that
saw the old digest records the snapshot, so N workers record one point per change, and
a restart with an unchanged state records none. A configured stage that moved between
two snapshots also becomes a `stage` event (or `rollback`, with the rollback's reason).
Periodic snapshots take a per-interval slot (`SET NX`), again one per deployment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import cast

import redis.exceptions

from proxy.config import STAGES, Route, RoutesConfig
from proxy.history.figures import RouteFigures
from proxy.history.store import HistoryStore, iso
from proxy.loops import Outage, Periodic
from proxy.stats import Snapshot

__all__ = ["CHECK_INTERVAL", "MIGRATED_STAGES", "HistoryRecorder", "route_states", "snapshot"]

log = logging.getLogger("strangler.proxy.history")

CHECK_INTERVAL = 1.0
MIGRATED_STAGES = ("modern", "retired")

EffectiveStage = Callable[[Route], str]
"""The stage a route is actually served at; routes.yaml's own until a runtime override
(guardrail, autopilot) says otherwise — the hook the guardrail plugs into."""


def configured_stage(route: Route) -> str:
    return route.stage


def route_states(config: RoutesConfig, effective: EffectiveStage) -> dict[str, dict[str, object]]:
    return {
        route.id: {
            "stage": route.stage,
            "effective_stage": effective(route),
            "canary_percent": route.canary.percent if route.canary is not None else None,
        }
        for route in config.routes
    }


def snapshot(
    *,
    kind: str,
    revision: str,
    routes: Mapping[str, Mapping[str, object]],
    window: Mapping[str, int],
    now: float,
) -> dict[str, object]:
    """One history point: progress by routes (effective stages) and by recent traffic."""
    total = len(routes)
    by_stage: dict[str, int] = {stage: 0 for stage in STAGES}
    for state in routes.values():
        by_stage[str(state["effective_stage"])] = by_stage.get(str(state["effective_stage"]), 0) + 1
    migrated = sum(by_stage.get(stage, 0) for stage in MIGRATED_STAGES)
    recent = sum(window.values())
    return {
        "ts": now,
        "time": iso(now),
        "kind": kind,
        "revision": revision,
        "routes_total": total,
        "by_stage": by_stage,
        "percent_routes": round(100 * migrated / total, 2) if total else 0.0,
        "percent_traffic": round(100 * window.get("modern", 0) / recent, 2) if recent else 0.0,
        "routes": {key: dict(value) for key, value in routes.items()},
    }


def _moves(
    before: Mapping[str, Mapping[str, object]], after: Mapping[str, Mapping[str, object]]
) -> list[tuple[str, dict[str, object] | None, dict[str, object] | None]]:
    out = []
    for route_id in sorted(set(before) | set(after)):
        old, new = before.get(route_id), after.get(route_id)
        keys = ("stage", "canary_percent")
        if old is None or new is None or any(old.get(k) != new.get(k) for k in keys):
            out.append((route_id, dict(old) if old else None, dict(new) if new else None))
    return out


@dataclass(eq=False)
class HistoryRecorder:
    """Records this deployment's history from one worker (every worker runs one).

    Parameters:
        store: where the history lives.
        current: the config in force and its revision.
        stats: the shared counters (the traffic share; per-route figures per interval).
        interval: seconds between periodic snapshots.
        figures: where per-route interval figures go (None: not kept).
        effective: the effective-stage hook (default: the configured stage).
    """

    store: HistoryStore
    _: KW_ONLY
    current: Callable[[], tuple[RoutesConfig, str]]
    stats: Callable[[], Awaitable[Snapshot]]
    interval: float
    figures: RouteFigures | None = None
    effective: EffectiveStage = configured_stage
    _seen: str | None = field(default=None, init=False)
    """The digest of the state last seen (in memory: the check costs no I/O)."""
    _slot: int | None = field(default=None, init=False)
    """The interval whose periodic snapshot was last claimed."""
    _outage: Outage = field(init=False)
    _loop: Periodic = field(init=False)

    def __post_init__(self) -> None:
        self._outage = Outage(
            log, "history: cannot record in Redis (will retry): %s", "history recording resumed"
        )
        self._loop = Periodic("strangler-history", CHECK_INTERVAL, self._round)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _round(self) -> None:
        try:
            await self.tick()
        except (redis.exceptions.RedisError, OSError) as exc:
            self._outage.failed(exc)
        else:
            self._outage.worked()

    async def tick(self, now: float | None = None) -> None:
        """Record what changed since the last tick, and the periodic point when due."""
        now = time.time() if now is None else now
        config, revision = self.current()
        routes = route_states(config, self.effective)
        digest = hashlib.sha256(
            json.dumps([revision, routes], sort_keys=True).encode()
        ).hexdigest()[:16]
        changed = False
        if digest != self._seen:
            if await self.store.swap_revision(digest) != digest:
                await self._changed(revision, routes, config, now)
                changed = True
            self._seen = digest
        slot = int(now // self.interval)
        if slot != self._slot:
            if await self.store.claim(f"tick:{slot}", self.interval * 2):
                snap = await self.stats()
                if not changed:  # a change point taken this very tick says the same
                    point = snapshot(kind="interval", revision=revision, routes=routes,
                                     window=snap.window, now=now)  # fmt: skip
                    await self.store.add_point(point)
                if self.figures is not None:
                    await self.figures.record(snap, now)
                if await self.store.claim(f"downsample:{int(now // 3600)}", 3600):
                    await self.store.downsample(now)
            self._slot = slot

    async def _changed(
        self,
        revision: str,
        routes: dict[str, dict[str, object]],
        config: RoutesConfig,
        now: float,
    ) -> None:
        previous = await self.store.last_point()
        before: Mapping[str, Mapping[str, object]] = {}
        kind = "config"
        if previous is not None:
            before = previous.get("routes") or {}  # type: ignore[assignment]  # written by route_states
            if previous.get("revision") == revision:
                kind = "effective"  # same file, a runtime override moved a route
        point = snapshot(kind=kind, revision=revision, routes=routes,
                         window=(await self.stats()).window, now=now)  # fmt: skip
        await self.store.add_point(point)
        if previous is None:
            return  # the first point is the baseline, not a change
        for route_id, old, new in _moves(before, routes):
            await self.store.add_event(
                kind=_move_kind(old, new, config.route(route_id)),
                route=route_id,
                reason=_move_reason(old, new, config.route(route_id), revision),
                details={"from": old, "to": new, "revision": revision},
                at=now,
            )


def _percent(state: Mapping[str, object]) -> float | None:
    """A state's canary percent: a number, from routes.yaml or read back from JSON."""
    percent = state.get("canary_percent")
    return None if percent is None else float(cast("float", percent))


def _rank(state: Mapping[str, object] | None) -> tuple[int, float]:
    if state is None:
        return (-1, 0.0)
    stage = STAGES.index(str(state["stage"]))
    percent = _percent(state)
    return stage, percent if percent is not None else 0.0


def _move_kind(
    old: Mapping[str, object] | None, new: Mapping[str, object] | None, route: Route | None
) -> str:
    backward = old is not None and new is not None and _rank(new) < _rank(old)
    return "rollback" if backward or (route is not None and route.rollback and old) else "stage"


def _move_reason(
    old: Mapping[str, object] | None,
    new: Mapping[str, object] | None,
    route: Route | None,
    revision: str,
) -> str:
    def label(state: Mapping[str, object] | None) -> str:
        if state is None:
            return "absent"
        if state["stage"] == "canary" and (percent := _percent(state)) is not None:
            return f"canary {percent:g} %"
        return str(state["stage"])

    text = f"{label(old)} → {label(new)} (routes.yaml {revision})"
    if route is not None and route.rollback is not None and old is not None:
        text += f": {route.rollback.reason}"
    return text
