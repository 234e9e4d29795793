"""The one adapter between the `api/status` document and the pages.

Pages never index the status JSON themselves: they read these views, so a field the
status API gains (evidence window, canary verdict, guardrail override, effective stage,
audit log) is wired in here, in one place, and a field that is absent simply shows as
absent. Where two shapes exist, both are read: e.g. the effective stage as
`effective_stage` or as the guardrail's `effective: {stage, percent, label, by}`, the
evidence window top-level or inside `shadow`, readiness from `readiness` (per stage)
or the shadow's own `ready_to_promote`. Everything is read defensively (`_get`): a
missing or oddly shaped field never breaks a page. Fields no view knows are kept in
`RouteView.extra` and shown raw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

__all__ = ["Attention", "Overview", "RouteView", "TargetView", "overview", "route_view"]

EXPIRY_WARNING = timedelta(days=7)

# Route fields the views below understand; any other key is shown raw on the route page.
KNOWN_ROUTE_FIELDS = frozenset({
    "id", "stage", "methods", "path", "websocket", "requests", "errors", "errors_by_code",
    "fallbacks", "absorbed_by_fallback", "latency_ms", "canary", "rollback", "shadow",
    "by_target", "effective_stage", "effective", "override", "guardrail", "analysis",
    "verdict", "audit", "audit_log", "window", "readiness", "configured", "autopilot",
})  # fmt: skip


def _get(data: object, *path: str | int, default: object = None) -> object:
    """`data[path[0]][path[1]]…`, or `default` when any step is missing or mistyped."""
    for key in path:
        if isinstance(key, int) and isinstance(data, Sequence) and not isinstance(data, str):
            data = data[key] if -len(data) <= key < len(data) else None
        elif isinstance(data, Mapping):
            data = data.get(key)
        else:
            return default
        if data is None:
            return default
    return data


def _list(data: object, *path: str) -> list[object]:
    value = _get(data, *path)
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _map(data: object, *path: str) -> Mapping[str, object]:
    value = _get(data, *path)
    return value if isinstance(value, Mapping) else {}


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class TargetView:
    """One target's (legacy or modern) share of a route's traffic."""

    name: str
    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


@dataclass(frozen=True, slots=True)
class FieldDiff:
    path: str
    count: int
    kinds: tuple[str, ...]
    legacy: object = None
    modern: object = None
    sampled: bool = False


@dataclass(frozen=True, slots=True)
class RouteView:
    """What the pages show of one route (absent fields are None or empty)."""

    id: str
    path: str
    methods: tuple[str, ...]
    stage: str
    effective_stage: str
    effective_percent: float | None
    effective_by: str | None
    canary_percent: float | None
    sticky: str | None
    requests: dict[str, int]
    errors: int
    fallbacks: int
    latency: dict[str, float | None]
    targets: tuple[TargetView, ...]
    compared: int | None
    mismatched: int
    match_rate: float | None
    match_bound: float | None
    ready_threshold: float | None
    ready: bool
    ready_reason: str | None
    next_stage: str | None
    sticky_missing: int | None
    fields: tuple[FieldDiff, ...]
    rollback_reason: str | None
    rollback_expires: str | None
    verdict: str | None
    verdict_reason: str | None
    analysis_figures: Mapping[str, object] | None
    override: Mapping[str, object] | None
    trips: int
    autopilot: Mapping[str, object] | None
    window: Mapping[str, object] | None
    recent: Mapping[str, object] | None
    rollback_expired: bool
    audit: tuple[Mapping[str, object], ...]
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def health(self) -> str:
        """`bad`, `warn` or `ok`: one rule, so every page colours a route the same way."""
        if self.override or self.verdict in ("failing", "failed"):
            return "bad"
        if self.match_rate is not None and self.mismatched and not self.ready:
            return "bad" if self.match_rate < 0.9 else "warn"
        if self.errors or self.rollback_reason:
            return "warn"
        return "ok"

    @property
    def moved_at_run_time(self) -> bool:
        """True when a runtime override (guardrail, autopilot) serves it elsewhere."""
        if self.effective_stage != self.stage:
            return True
        return (
            self.stage == "canary"
            and self.effective_percent is not None
            and self.effective_percent != self.canary_percent
        )

    @property
    def expiry_state(self) -> str | None:
        """`expired`, `expiring` (within a week) or None, for a rollback with `expires`."""
        if self.rollback_expired:
            return "expired"
        if not self.rollback_expires:
            return None
        try:
            expires = date.fromisoformat(self.rollback_expires[:10])
        except ValueError:
            return None
        today = datetime.now(UTC).date()
        if expires < today:
            return "expired"
        return "expiring" if expires - today <= EXPIRY_WARNING else None


def _targets(entry: Mapping[str, object]) -> tuple[TargetView, ...]:
    by_target = _get(entry, "by_target", default={})
    out = []
    for name in ("legacy", "modern"):
        data = _get(by_target, name, default={})
        out.append(TargetView(
            name=name,
            requests=_int(_get(data, "requests", default=_get(entry, "requests", name))),
            errors=_int(_get(data, "errors")),
            p50=_num(_get(data, "latency_ms", "p50")),
            p95=_num(_get(data, "latency_ms", "p95")),
            p99=_num(_get(data, "latency_ms", "p99")),
        ))  # fmt: skip
    return tuple(out)


def _fields(
    entry: Mapping[str, object], samples: Sequence[Mapping[str, object]]
) -> tuple[FieldDiff, ...]:
    first: dict[str, Mapping[str, object]] = {}
    for sample in samples:  # newest first: keep the newest sample of each path
        first.setdefault(str(sample.get("path")), sample)
    rows = []
    for item in _list(entry, "shadow", "fields"):
        path = str(_get(item, "path", default="?"))
        newest = first.get(path)
        rows.append(FieldDiff(
            path=path,
            count=_int(_get(item, "diffs")),
            kinds=tuple(str(k) for k in _list(item, "kinds")),
            legacy=newest.get("legacy") if newest else None,
            modern=newest.get("modern") if newest else None,
            sampled=newest is not None,
        ))  # fmt: skip
    rows.sort(key=lambda row: (-row.count, row.path))
    return tuple(rows)


def _effective(entry: Mapping[str, object], stage: str) -> str:
    value = _get(entry, "effective_stage") or _get(entry, "effective", "stage")
    return str(value) if value else stage


def _mapping(value: object) -> Mapping[str, object] | None:
    return value if isinstance(value, Mapping) and value else None


def _verdict(entry: Mapping[str, object]) -> str | None:
    return _text(_get(entry, "analysis", "verdict") or _get(entry, "verdict"))


def _override(entry: Mapping[str, object]) -> Mapping[str, object] | None:
    value = _get(entry, "override") or _get(entry, "guardrail", "override")
    return value if isinstance(value, Mapping) and value else None


def route_view(
    entry: Mapping[str, object], samples: Sequence[Mapping[str, object]] = ()
) -> RouteView:
    """A route of `api/status`, with its recent difference samples (newest first)."""
    stage = str(_get(entry, "stage", default="legacy"))
    shadow = _get(entry, "shadow")
    audit = _list(entry, "audit") or _list(entry, "audit_log")
    window = _get(entry, "window") or _get(shadow, "window")
    canary = _num(_get(entry, "canary", "percent"))
    effective = _effective(entry, stage)
    effective_percent = _num(_get(entry, "effective", "percent"))
    if effective_percent is None and effective == stage:
        effective_percent = canary  # no override: served as configured
    return RouteView(
        id=str(_get(entry, "id", default="?")),
        path=str(_get(entry, "path", default="")),
        methods=tuple(str(m) for m in _list(entry, "methods")),
        stage=stage,
        effective_stage=effective,
        effective_percent=effective_percent,
        effective_by=_text(_get(entry, "effective", "by")),
        canary_percent=canary,
        sticky=_text(_get(entry, "canary", "sticky")),
        requests={k: _int(_get(entry, "requests", k)) for k in ("legacy", "modern", "total")},
        errors=_int(_get(entry, "errors")),
        fallbacks=_int(_get(entry, "fallbacks")),
        latency={k: _num(_get(entry, "latency_ms", k)) for k in ("p50", "p95", "p99")},
        targets=_targets(entry),
        compared=_int(_get(shadow, "compared")) if shadow is not None else None,
        mismatched=_int(_get(shadow, "mismatched")),
        match_rate=_num(_get(shadow, "match_rate")),
        match_bound=_num(_get(shadow, "match_rate_lower_bound")),
        ready_threshold=_num(_get(shadow, "ready_threshold")),
        ready=bool(_get(entry, "readiness", "ready") or _get(shadow, "ready_to_promote")),
        ready_reason=_text(_get(entry, "readiness", "reason") or _get(shadow, "ready_reason")),
        next_stage=_text(_get(entry, "readiness", "next")),
        sticky_missing=(
            _int(_get(entry, "canary", "sticky_missing", "total"))
            if _get(entry, "canary", "sticky_missing") is not None
            else None
        ),
        fields=_fields(entry, samples),
        rollback_reason=_text(_get(entry, "rollback", "reason")),
        rollback_expires=_text(_get(entry, "rollback", "expires")),
        verdict=_verdict(entry),
        verdict_reason=_text(_get(entry, "analysis", "reason")),
        analysis_figures=_mapping(_get(entry, "analysis", "figures")),
        override=_override(entry),
        trips=_int(_get(entry, "guardrail", "trips")),
        autopilot=_mapping(_get(entry, "autopilot")),
        window=_mapping(window),
        recent=_mapping(_get(shadow, "recent")),
        rollback_expired=_get(entry, "rollback", "expired") is True,
        audit=tuple(a for a in audit if isinstance(a, Mapping)),
        extra={k: v for k, v in entry.items() if k not in KNOWN_ROUTE_FIELDS},
    )


@dataclass(frozen=True, slots=True)
class Attention:
    """One thing a person should look at: which route, what, and how bad."""

    route: str
    what: str
    detail: str
    level: str  # bad | warn | good


@dataclass(frozen=True, slots=True)
class Overview:
    revision: str
    loaded_at: str | None
    last_error: str | None
    partial: str | None  # why the figures are one worker's own (Redis slow or away)
    routes_total: int
    by_stage: dict[str, int]
    percent_routes: float
    percent_traffic: float
    window_seconds: int
    routes: tuple[RouteView, ...]
    unmapped: tuple[tuple[str, int], ...]
    upstreams: dict[str, bool | None]
    events: tuple[Mapping[str, object], ...]

    @property
    def attention(self) -> list[Attention]:
        items: list[Attention] = []
        for r in self.routes:
            if r.override:
                reason = _text(_get(r.override, "reason")) or "runtime override"
                items.append(Attention(r.id, "guardrail tripped", reason, "bad"))
            elif r.verdict in ("failing", "failed"):
                items.append(Attention(r.id, "canary failing", r.verdict or "", "bad"))
            if r.match_rate is not None and r.mismatched and not r.ready:
                items.append(Attention(
                    r.id, "responses differ",
                    f"{r.mismatched:,} mismatched of {r.compared or 0:,} compared", r.health,
                ))  # fmt: skip
            if r.expiry_state:
                items.append(Attention(
                    r.id, f"rollback {r.expiry_state}",
                    f"{r.rollback_reason or ''} (expires {r.rollback_expires})",
                    "bad" if r.expiry_state == "expired" else "warn",
                ))  # fmt: skip
            if r.ready and (r.next_stage or r.stage not in ("modern", "retired")):
                what = f"ready for {r.next_stage}" if r.next_stage else "ready to move"
                items.append(Attention(r.id, what, r.ready_reason or "ready", "good"))
        return items


def overview(status: Mapping[str, object], events: Sequence[Mapping[str, object]] = ()) -> Overview:
    """The whole `api/status` document as the overview page reads it."""
    migration = _map(status, "migration")
    revision = _get(status, "config", "revision") or _get(status, "revision", default="?")
    return Overview(
        revision=str(revision),
        loaded_at=_text(_get(status, "config", "loaded_at")),
        last_error=_text(_get(status, "config", "last_error", "message")),
        partial=(_text(status.get("partial_reason")) or "partial figures")
        if status.get("partial")
        else None,
        routes_total=_int(migration.get("routes_total")),
        by_stage={str(k): _int(v) for k, v in _map(migration, "by_stage").items()},
        percent_routes=_num(migration.get("percent_routes")) or 0.0,
        percent_traffic=_num(migration.get("percent_traffic")) or 0.0,
        window_seconds=_int(migration.get("traffic_window_seconds")),
        routes=tuple(route_view(r) for r in _list(status, "routes") if isinstance(r, Mapping)),
        unmapped=tuple(
            (str(_get(u, "path")), _int(_get(u, "requests"))) for u in _list(status, "unmapped")
        ),
        upstreams={
            str(name): (None if _get(h, "healthy") is None else bool(_get(h, "healthy")))
            for name, h in _map(status, "upstream_health").items()
        },
        events=tuple(events),
    )
