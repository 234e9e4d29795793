"""The `api/status` document: config, migration progress, per-route traffic.

Counts come from the shared Redis counters, so whichever worker answers, the
numbers are the same (to within one flush interval of the other workers). Redis
gets `REDIS_BUDGET` seconds in all per answer: when it is slow or away, the answer
comes in time anyway with this worker's own figures and `partial: true`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from proxy.config import STAGES, CanaryRule, Route, rollback_expired
from proxy.counters import budget, limit
from proxy.guardrail.report import route_fields
from proxy.readiness import CANARY_PASS, RecentTraffic, ShadowEvidence, readiness
from proxy.stats import LATENCY_BUCKETS, UNMAPPED_ROUTE, WINDOW_SECONDS, Snapshot, percentile

if TYPE_CHECKING:
    from datetime import datetime

    from proxy.runtime import Runtime

__all__ = ["build_status"]

TARGETS = ("legacy", "modern")
MAX_UNMAPPED_LISTED = 50
REDIS_BUDGET = 0.5
"""Seconds all the Redis reads of one status answer may take together."""


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


def _by_target(snap: Snapshot, route_id: str) -> dict[str, dict[str, object]]:
    """Each target's own requests, user-seen errors and latency (the route page's table)."""
    out: dict[str, dict[str, object]] = {}
    for target in TARGETS:
        counts = snap.latency.get((route_id, target), [])
        latency: dict[str, float | None] = {}
        for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            value = percentile(list(counts), q) if counts else None
            latency[name] = round(value * 1000, 3) if value is not None else None
        out[target] = {
            "requests": snap.requests.get((route_id, target), 0),
            "errors": sum(
                n for (r, t, _), n in snap.errors.items() if r == route_id and t == target
            ),
            "latency_ms": latency,
        }
    return out


def _absorbed_by_fallback(snap: Snapshot, route_id: str) -> dict[str, dict[str, int]]:
    """Failures fallback hid from users, by target and code (never in `errors_by_code`)."""
    out: dict[str, dict[str, int]] = {}
    for (route, target, code), count in snap.absorbed.items():
        if route == route_id:
            by_code = out.setdefault(target, {})
            by_code[code] = by_code.get(code, 0) + count
    return out


async def _upstream_health(runtime: Runtime) -> dict[str, dict[str, object]]:
    """Each upstream's HTTP health probe (shared by every caller, cached a moment) and
    this worker's breaker: the breaker is per worker, the probe's verdict is not."""
    upstreams = runtime.upstreams
    results = await upstreams.health_of(upstreams.urls)
    out: dict[str, dict[str, object]] = {}
    for name, result in results.items():
        ago = upstreams.checked_ago(name)
        out[name] = {
            "healthy": result.ok,
            "detail": result.detail,
            "status": result.status,
            "checked_s_ago": round(ago, 3) if ago is not None else None,
            "breaker": upstreams.breaker(name).as_json(),
        }
    return out


def _empty_shadow() -> dict[str, object]:
    return {"compared": 0, "matched": 0, "mismatched": 0, "match_rate": None}


def _canary(snap: Snapshot, route: Route, rule: CanaryRule) -> dict[str, object]:
    """The canary rule and how many requests came without their sticky key."""
    missing = {then: snap.sticky_missing.get((route.id, then), 0) for then in ("ip", "legacy")}
    return {
        "percent": rule.percent,
        "sticky": rule.sticky,
        "when_missing": rule.when_missing,
        "sticky_missing": {**missing, "total": sum(missing.values())},
    }


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
        "errors_by_code": errors_by_code,  # seen by users; fallback's share is apart
        "fallbacks": snap.fallbacks.get(route.id, 0),
        "absorbed_by_fallback": _absorbed_by_fallback(snap, route.id),
        "latency_ms": _latency_ms(snap, route.id),
        "by_target": _by_target(snap, route.id),
    }
    if route.canary is not None:
        entry["canary"] = _canary(snap, route, route.canary)
    if route.rollback is not None:
        expires = route.rollback.expires
        entry["rollback"] = {
            "reason": route.rollback.reason,
            "expires": expires.isoformat() if expires else None,
            "expired": rollback_expired(route.rollback),
        }
    entry.update(await route_fields(runtime.guardrail, route))  # configured vs effective
    shadow = await runtime.sink.route_status(route.id)
    if shadow is None and route.stage == "shadow":
        shadow = _empty_shadow()
    if shadow is not None:
        entry["shadow"] = shadow
    traffic = RecentTraffic(
        legacy=snap.recent.get((route.id, "legacy"), 0),
        modern=snap.recent.get((route.id, "modern"), 0),
        seconds=WINDOW_SECONDS,
    )
    verdict = readiness(route, _evidence(shadow), canary_verdict(runtime, route), traffic)
    entry["readiness"] = verdict.as_json()
    return entry


def _stale_shadow(entry: dict[str, object]) -> bool:
    shadow = entry.get("shadow")
    return isinstance(shadow, dict) and "stale" in shadow


def _partial_note(snap: Snapshot, partial: bool) -> dict[str, object]:
    if not partial:
        return {}
    if not snap.partial:
        return {"partial_reason": "Redis did not answer in time for the shadow outcomes"}
    read = f"last read from Redis at {_iso(snap.read_at)}" if snap.read_at else "never read"
    return {
        "partial_reason": (
            f"Redis did not answer within {REDIS_BUDGET} s: this worker's figures only "
            f"(shared totals {read}, plus what this worker counted since)"
        )
    }


def canary_verdict(runtime: Runtime, route: Route) -> str | None:
    """The canary analysis' verdict on a route: `proxy.readiness.CANARY_PASS`
    ("healthy"), else `"<state>: <reason>"` saying why not; None while there is none.
    The one seam where the canary analysis plugs into readiness."""
    found = runtime.guardrail.latest(route.id) if route.stage == "canary" else None
    if found is None:
        return None
    return CANARY_PASS if found.state == CANARY_PASS else f"{found.state}: {found.reason}"


def _evidence(shadow: dict[str, object] | None) -> ShadowEvidence | None:
    verdict = shadow.get("evidence") if shadow else None
    if not isinstance(verdict, dict):
        return None
    return ShadowEvidence(bool(verdict["holds"]), str(verdict["reason"]), bool(verdict["enough"]))


async def _instances(runtime: Runtime) -> dict[str, object]:
    """Which config revision every instance serves, or why that is not known now."""
    try:
        async with limit(REDIS_BUDGET):
            return await runtime.instances.view()
    except (RedisError, OSError) as exc:
        return {"agree": None, "unavailable": f"Redis did not answer: {exc!r}"}


async def build_status(runtime: Runtime) -> dict[str, object]:
    """The whole status document (the README's `api/status` fields)."""
    table = runtime.table
    loaded = table.loaded
    routes = table.config.routes
    with budget(REDIS_BUDGET):
        snap = await runtime.stats.snapshot()
        await runtime.guardrail.try_refresh(table)
        entries = [await _route_entry(runtime, snap, route) for route in routes]
    partial = snap.partial or any(_stale_shadow(entry) for entry in entries)
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
        "partial": partial,
        **_partial_note(snap, partial),
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
        "routes": entries,
        "unmapped": [
            {"path": path, "requests": count} for path, count in unmapped[:MAX_UNMAPPED_LISTED]
        ],
        "unmapped_requests": sum(snap.requests.get((UNMAPPED_ROUTE, t), 0) for t in TARGETS),
        "reloads": snap.reloads,
        # This worker's last failures per upstream, with the detail clients are not told.
        "upstream_errors": runtime.forwarder.errors.as_json(),
        "upstreams": dict(runtime.upstreams.urls),
        "upstream_health": await _upstream_health(runtime),
        "worker": {"pid": os.getpid(), "shared_counters": runtime.shared},
        # Every live worker of every instance sharing this Redis, and its revision.
        "instances": await _instances(runtime),
    }
