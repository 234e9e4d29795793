"""The `api/status` document: config, migration progress, per-route traffic.

Counts come from the shared Redis counters, so whichever worker answers, the
numbers are the same (to within one flush interval of the other workers).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from proxy.config import STAGES, Route
from proxy.stats import LATENCY_BUCKETS, UNMAPPED_ROUTE, WINDOW_SECONDS, Snapshot, percentile

if TYPE_CHECKING:
    from proxy.runtime import Runtime

__all__ = ["build_status"]

TARGETS = ("legacy", "modern")
MAX_UNMAPPED_LISTED = 50


def _iso(moment: object) -> str:
    text = moment.isoformat(timespec="milliseconds")  # type: ignore[attr-defined]
    return str(text).replace("+00:00", "Z")


def _latency_ms(snap: Snapshot, route_id: str) -> dict[str, float | None]:
    merged = [0] * (len(LATENCY_BUCKETS) + 1)
    for target in TARGETS:
        for index, count in enumerate(snap.latency.get((route_id, target), ())):
            merged[index] += count
    out: dict[str, float | None] = {}
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        value = percentile(merged, q)
        out[name] = round(value * 1000, 3) if value is not None else None
    return out


def _empty_shadow() -> dict[str, object]:
    return {"compared": 0, "matched": 0, "mismatched": 0, "match_rate": None}


async def _route_entry(runtime: Runtime, snap: Snapshot, route: Route) -> dict[str, object]:
    requests = {target: snap.requests.get((route.id, target), 0) for target in TARGETS}
    errors_by_code: dict[str, int] = {}
    for (route_id, _target, code), count in snap.errors.items():
        if route_id == route.id:
            errors_by_code[code] = errors_by_code.get(code, 0) + count
    entry: dict[str, object] = {
        "id": route.id,
        "stage": route.stage,
        "methods": list(route.methods) if not route.websocket else ["GET"],
        "path": route.path,
        "websocket": route.websocket,
        "requests": {**requests, "total": sum(requests.values())},
        "errors": sum(errors_by_code.values()),
        "errors_by_code": errors_by_code,
        "fallbacks": snap.fallbacks.get(route.id, 0),
        "latency_ms": _latency_ms(snap, route.id),
    }
    if route.canary is not None:
        entry["canary"] = {"percent": route.canary.percent, "sticky": route.canary.sticky}
    if route.rollback is not None:
        entry["rollback"] = {"reason": route.rollback.reason}
    shadow = await runtime.sink.route_status(route.id)
    if shadow is None and route.stage == "shadow":
        shadow = _empty_shadow()
    if shadow is not None:
        entry["shadow"] = shadow
    return entry


async def build_status(runtime: Runtime) -> dict[str, object]:
    """The whole status document (DESIGN.md §6)."""
    table = runtime.table
    loaded = table.loaded
    snap = await runtime.stats.snapshot()
    routes = table.config.routes
    by_stage = {stage: 0 for stage in STAGES}
    for route in routes:
        by_stage[route.stage] += 1
    migrated = by_stage["modern"] + by_stage["retired"]
    recent = sum(snap.window.values())
    failure = runtime.reloader.last_failure
    outcome = runtime.reloader.last_outcome
    unmapped = sorted(snap.unmapped.items(), key=lambda item: (-item[1], item[0]))
    return {
        "revision": loaded.revision,
        "config": {
            "revision": loaded.revision,
            "source": loaded.source,
            "loaded_at": _iso(loaded.loaded_at),
            "last_error": failure.as_json() if failure is not None else None,
            "last_reload": outcome.as_json() if outcome is not None else None,
        },
        "migration": {
            "routes_total": len(routes),
            "by_stage": by_stage,
            "percent_routes": round(100 * migrated / len(routes), 2) if routes else 0.0,
            "percent_traffic": (
                round(100 * snap.window.get("modern", 0) / recent, 2) if recent else 0.0
            ),
            "traffic_window_seconds": WINDOW_SECONDS,
            "recent_requests": {target: snap.window.get(target, 0) for target in TARGETS},
        },
        "routes": [await _route_entry(runtime, snap, route) for route in routes],
        "unmapped": [
            {"path": path, "requests": count} for path, count in unmapped[:MAX_UNMAPPED_LISTED]
        ],
        "unmapped_requests": sum(snap.requests.get((UNMAPPED_ROUTE, t), 0) for t in TARGETS),
        "reloads": snap.reloads,
        "upstreams": dict(runtime.upstreams.urls),
        "worker": {"pid": os.getpid(), "shared_counters": runtime.shared},
        # Every live worker of every instance sharing this Redis, and its revision.
        "instances": await runtime.instances.view(),
    }
