"""The live part of the overview and of a route's page, rendered from the views.

Every number comes from `proxy.admin.view` (the status adapter) and is printed through
`proxy.admin.formats`; each carries its raw value in `data-value`, so a test (or a
script scraping the page) can compare it with `api/status` exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote

from proxy.admin.charts import SMALL, line_chart, nice_ceiling, progress_chart
from proxy.admin.formats import count, duration_ms, percent, ratio_percent
from proxy.admin.layout import stage_pill
from proxy.admin.view import Overview, RouteView

__all__ = ["overview_body", "route_body"]

MAX_EVENTS_SHOWN = 30
CHANGE_KINDS = ("config", "effective")  # snapshots taken because something moved
FLAG_KINDS = ("override", "guardrail", "autopilot", "rollback", "note")  # not routes.yaml's


def _value(field: str, raw: object, text: str) -> str:
    data = escape(json.dumps(raw))
    return f'<span data-field="{escape(field)}" data-value="{data}">{escape(text)}</span>'


def _card(title: str, big: str, sub: str, bar: float | None = None, kind: str = "") -> str:
    track = (
        f'<div class="track"><div class="fill {kind}" style="width:{bar:.2f}%"></div></div>'
        if bar is not None
        else ""
    )
    return (
        f'<div class="card"><div class="sub">{title}</div><div class="big">{big}</div>'
        f'<div class="sub">{sub}</div>{track}</div>'
    )


def _route_link(root: str, route_id: str) -> str:
    return f'<a href="{root}/routes/{quote(route_id, safe="")}">{escape(route_id)}</a>'


def _stages(route: RouteView) -> str:
    """Configured stage, and the effective one when a runtime override moved the route."""
    moved = (route.effective_stage, route.effective_percent) if route.moved_at_run_time else None
    return stage_pill(route.stage, route.canary_percent, effective=moved, by=route.effective_by)


def _match(route: RouteView) -> str:
    if route.compared is None:
        return '<span class="muted">not shadowed</span>'
    if route.match_rate is None:
        return '<span class="muted">no comparisons yet</span>'
    text = f"{ratio_percent(route.match_rate)} of {count(route.compared)}"
    ready = " · ready" if route.ready else ""
    return (
        f'<span class="health-{route.health}" data-field="match_rate" '
        f'data-value="{route.match_rate}">{escape(text)}{ready}</span>'
    )


def _chart(
    points: Sequence[Mapping[str, object]], events: Sequence[Mapping[str, object]] = ()
) -> str:
    times = [ts for p in points if (ts := _number(p, "ts")) is not None]
    return progress_chart(
        times,
        {
            "routes": [p.get("percent_routes") for p in points],  # type: ignore[misc]  # stored points hold numbers or None
            "traffic": [p.get("percent_traffic") for p in points],  # type: ignore[misc]  # as above
        },
        marks=[
            (float(p["ts"]), float(p.get("percent_routes") or 0), _mark_label(p))  # type: ignore[arg-type]  # points with a kind carry ts
            for p in points
            if p.get("kind") in CHANGE_KINDS
        ],
        flags=[
            (
                ts,
                f"{e.get('time')}: {e.get('kind')} {e.get('route') or ''}: {e.get('reason')}",
            )
            for e in events
            if e.get("kind") in FLAG_KINDS and (ts := _number(e, "ts")) is not None
        ],
    )


def _mark_label(point: Mapping[str, object]) -> str:
    return (
        f"{point.get('time')}: {point.get('kind')} (revision {point.get('revision')}), "
        f"{percent(point.get('percent_routes'))} of routes"  # type: ignore[arg-type]  # a number or None
    )


def _when(value: object) -> str:
    """`2026-11-28T18:06:51.468Z` → `2026-11-28 18:06:51`: seconds are enough for people."""
    return str(value or "")[:19].replace("T", " ")


def _events(root: str, events: Sequence[Mapping[str, object]], *, with_route: bool) -> str:
    if not events:
        return '<p class="muted">Nothing recorded yet.</p>'
    rows = []
    for event in list(events)[-MAX_EVENTS_SHOWN:][::-1]:  # newest first
        route = event.get("route")
        where = _route_link(root, str(route)) if route else '<span class="muted">all</span>'
        rows.append(
            f'<tr class="event" data-kind="{escape(str(event.get("kind")))}">'
            f'<td class="num">{escape(_when(event.get("time")))}</td>'
            f"<td>{escape(str(event.get('kind', '')))}</td>"
            + (f"<td>{where}</td>" if with_route else "")
            + f"<td>{escape(str(event.get('reason', '')))}</td></tr>"
        )
    head = "<th>when (UTC)</th><th>what</th>" + ("<th>route</th>" if with_route else "")
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}<th>reason</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def overview_body(ov: Overview, points: Sequence[Mapping[str, object]], root: str) -> str:
    """The overview: progress, what needs attention, history, routes, unmapped paths."""
    stages = " ".join(
        f'{stage_pill(stage)} <b data-field="by_stage.{escape(stage)}">{count(n)}</b>'
        for stage, n in ov.by_stage.items()
    )
    migrated = sum(ov.by_stage.get(s, 0) for s in ("modern", "retired"))
    attention = ov.attention
    if attention:
        items = "".join(
            f'<li data-attention="{escape(a.what)}"><span class="dot {a.level}"></span>'
            f"{_route_link(root, a.route)} — <b>{escape(a.what)}</b>: "
            f'<span class="muted">{escape(a.detail)}</span></li>'
            for a in attention
        )
        attention_html = f'<ul class="attention">{items}</ul>'
    else:
        attention_html = '<p class="muted">Nothing needs attention.</p>'
    rows = "".join(
        f'<tr data-route="{escape(r.id)}">'
        f"<td>{_route_link(root, r.id)}</td>"
        f"<td>{_stages(r)}</td>"
        f'<td class="wide">{escape(" ".join(r.methods))}</td>'
        f'<td class="wide"><code>{escape(r.path)}</code></td>'
        f'<td class="num">{count(r.requests["legacy"])}</td>'
        f'<td class="num">{count(r.requests["modern"])}</td>'
        f'<td class="num {"health-warn" if r.errors else ""}">{count(r.errors)}</td>'
        f'<td class="num wide">{duration_ms(r.latency["p50"])}</td>'
        f'<td class="num">{duration_ms(r.latency["p99"])}</td>'
        f"<td>{_match(r)}</td></tr>"
        for r in ov.routes
    )
    unmapped = (
        "".join(
            f'<tr><td><code>{escape(path)}</code></td><td class="num">{count(n)}</td></tr>'
            for path, n in ov.unmapped
        )
        or '<tr><td colspan="2" class="muted">none</td></tr>'
    )
    upstreams = " ".join(
        f'<span><span class="dot {"unknown" if ok is None else "ok" if ok else "bad"}"></span>'
        f"{escape(name)} {'?' if ok is None else 'healthy' if ok else 'unhealthy'}</span>"
        for name, ok in ov.upstreams.items()
    )
    problem = (
        f'<p class="error">Last refused routes.yaml: {escape(ov.last_error)}</p>'
        if ov.last_error
        else ""
    ) + (f'<p class="error">{escape(ov.partial)}</p>' if ov.partial else "")
    window = f"last {ov.window_seconds // 60} min" if ov.window_seconds else "recent"
    routes_card = _card(
        "Routes migrated (modern or retired)",
        _value("percent_routes", ov.percent_routes, percent(ov.percent_routes)),
        f"{count(migrated)} of "
        + _value("routes_total", ov.routes_total, count(ov.routes_total))
        + " routes",
        ov.percent_routes,
    )
    traffic_card = _card(
        f"Traffic served by modern ({window})",
        _value("percent_traffic", ov.percent_traffic, percent(ov.percent_traffic)),
        "of requests that reached an upstream",
        ov.percent_traffic,
        "traffic",
    )
    return f"""
<p class="muted">routes.yaml revision <code>{escape(ov.revision)}</code>, loaded
{escape(ov.loaded_at or "?")} · upstreams: {upstreams or "?"}</p>
{problem}
<section class="cards">
{routes_card}
{traffic_card}
{_card("Routes per stage", "", stages)}
</section>
<h2>Needs attention</h2>
{attention_html}
<h2>Progress over time</h2>
{_chart(points, ov.events)}
<h2>Routes</h2>
<div class="table-wrap"><table id="routes"><thead><tr><th>route</th><th>stage</th>
<th class="wide">methods</th><th class="wide">path</th><th class="num">legacy</th>
<th class="num">modern</th><th class="num">errors</th><th class="num wide">p50</th>
<th class="num">p99</th><th>shadow match</th></tr></thead><tbody>{rows}</tbody></table></div>
<h2>Recent changes</h2>
{_events(root, ov.events, with_route=True)}
<h2>Unmapped paths <span class="muted">(served by legacy)</span></h2>
<div class="table-wrap"><table><thead><tr><th>path</th><th class="num">requests</th></tr></thead>
<tbody>{unmapped}</tbody></table></div>
"""


def _pre(value: object, side: str) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=1, ensure_ascii=False)
    return f'<pre class="{side}" data-side="{side}">{escape(str(text))}</pre>'


def _facts(pairs: Sequence[tuple[str, str]]) -> str:
    return (
        '<dl class="facts">'
        + "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in pairs)
        + "</dl>"
    )


def _raw(value: object) -> str:
    return f"<pre>{escape(json.dumps(value, indent=1, default=str, ensure_ascii=False))}</pre>"


def _target_charts(figures: Sequence[Mapping[str, object]]) -> str:
    """Error rate and p95 per target, one point per periodic interval that saw traffic."""
    if not figures:
        return '<p class="muted">No interval with traffic recorded yet.</p>'
    times = [_number(f, "ts") or 0.0 for f in figures]

    def series(field: str, scale: float) -> dict[str, list[float | None]]:
        out: dict[str, list[float | None]] = {}
        for target in ("legacy", "modern"):
            values = [_number(entry.get(target), field) for entry in figures]
            if any(v is not None for v in values):
                out[target] = [None if v is None else v * scale for v in values]
        return out

    errors, p95 = series("error_rate", 100.0), series("p95", 1.0)
    worst = max((v for vs in errors.values() for v in vs if v is not None), default=0.0)
    slowest = max((v for vs in p95.values() for v in vs if v is not None), default=1.0)
    error_chart = line_chart(
        times, errors, title="Error rate per target", y_max=nice_ceiling(max(worst, 1.0)),
        size=SMALL,
    )  # fmt: skip
    latency_chart = line_chart(
        times, p95, title="p95 latency per target", y_max=nice_ceiling(slowest), unit=" ms",
        size=SMALL,
    )  # fmt: skip
    return (
        f'<div class="pair charts"><div><div class="muted">Error rate</div>{error_chart}</div>'
        f'<div><div class="muted">p95 latency</div>{latency_chart}</div></div>'
    )


def _number(data: object, field: str) -> float | None:
    value = data.get(field) if isinstance(data, Mapping) else None
    return float(value) if isinstance(value, int | float) else None


AUDIT_HEADLINE = ("at", "time", "ts", "event", "kind", "action", "reason", "route", "worker")


def _audit(entries: Sequence[Mapping[str, object]]) -> str:
    """Audit entries newest first: when, what, why, then whatever figures they carry."""
    if not entries:
        return '<p class="muted">No audit entries.</p>'
    ordered = sorted(entries, key=lambda e: str(e.get("at") or e.get("time") or ""))[::-1]
    rows = "".join(
        f'<tr class="audit"><td class="num">{escape(_when(e.get("at") or e.get("time")))}</td>'
        f"<td>{escape(str(e.get('event') or e.get('kind') or e.get('action') or '?'))}</td>"
        f"<td>{escape(str(e.get('reason') or ''))}</td><td>"
        + _raw({k: v for k, v in e.items() if k not in AUDIT_HEADLINE})
        + "</td></tr>"
        for e in ordered[:MAX_EVENTS_SHOWN]
    )
    return (
        '<div class="table-wrap"><table><thead><tr><th>when (UTC)</th><th>what</th>'
        f"<th>reason</th><th>figures</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def route_body(
    route: RouteView,
    events: Sequence[Mapping[str, object]],
    root: str,
    figures: Sequence[Mapping[str, object]] = (),
) -> str:
    """A route's page: stage, split, per-target health, evidence, differences, timeline."""
    total = route.requests["total"]
    modern_share = 100 * route.requests["modern"] / total if total else None
    targets = "".join(
        f'<tr data-target="{t.name}"><td>{t.name}</td><td class="num">{count(t.requests)}</td>'
        f'<td class="num">{count(t.errors)}</td>'
        f'<td class="num">{ratio_percent(t.error_rate, 2)}</td>'
        f'<td class="num">{duration_ms(t.p50)}</td><td class="num">{duration_ms(t.p95)}</td>'
        f'<td class="num">{duration_ms(t.p99)}</td></tr>'
        for t in route.targets
    )
    shadow: list[tuple[str, str]] = []
    if route.compared is not None:
        bound = ratio_percent(route.match_bound, 2)
        needed = ratio_percent(route.ready_threshold, 2)
        shadow = [
            ("compared", count(route.compared)),
            ("match rate", _match(route)),
            ("lower bound (95 %)", f"{escape(bound)} (needs ≥ {escape(needed)})"),
            ("ready to promote", "yes" if route.ready else "no"),
            ("why", escape(route.ready_reason or "–")),
        ]
    for name, part in (("window", route.window), ("recent", route.recent)):
        if part:  # the evidence window and its recent part, whatever fields they carry
            shadow += [(f"{name} {k}", escape(str(v))) for k, v in part.items()]
    fields = (
        "".join(
            f'<tr class="diff" data-path="{escape(f.path)}"><td><code>{escape(f.path)}</code>'
            f'<div class="muted">{escape(", ".join(f.kinds))}</div></td>'
            f'<td class="num" data-field="diff_count">{count(f.count)}</td>'
            f'<td><div class="pair">{_pre(f.legacy, "legacy")}{_pre(f.modern, "modern")}</div>'
            + ("" if f.sampled else '<div class="muted">no sample kept</div>')
            + "</td></tr>"
            for f in route.fields
        )
        or '<tr><td colspan="3" class="muted">no differing fields</td></tr>'
    )
    verdict = route.verdict or "–"
    if route.verdict_reason:
        verdict += f": {route.verdict_reason}"
    guard: list[tuple[str, str]] = [
        ("canary verdict", f'<span data-field="verdict">{escape(verdict)}</span>'),
        ("guardrail override", _raw(route.override) if route.override else "none"),
        ("rollback", escape(route.rollback_reason or "none")),
    ]
    if route.analysis_figures:
        guard.insert(1, ("analysis figures", _raw(route.analysis_figures)))
    if route.trips:
        guard.append(("guardrail trips", count(route.trips)))
    if route.autopilot:
        guard.append(("autopilot", _raw(route.autopilot)))
    if route.rollback_expires:
        state = f" ({route.expiry_state})" if route.expiry_state else ""
        guard.append(("rollback expires", escape(route.rollback_expires + state)))
    audit = _audit(route.audit)
    extra = f"<h2>Other fields</h2>{_raw(route.extra)}" if route.extra else ""
    methods = escape(" ".join(route.methods))
    stage_card = _card(
        "Stage (configured → effective)",
        _stages(route),
        f"sticky key: {escape(route.sticky or '–')}"
        + (
            f" ({count(route.sticky_missing)} requests without it)"
            if route.sticky_missing is not None
            else ""
        )
        + " · health: "
        f'<span class="health-{route.health}" data-field="health">{route.health}</span>',
    )
    split_card = _card(
        "Traffic split: share to modern",
        percent(modern_share),
        f"{count(route.requests['modern'])} of {count(total)} requests · "
        f"fallbacks {count(route.fallbacks)}",
        modern_share or 0.0,
        "traffic",
    )
    return f"""
<p><a href="{root}/">← all routes</a></p>
<h2 style="margin-top:0">{escape(route.id)} <span class="muted"><code>{methods}
{escape(route.path)}</code></span></h2>
<section class="cards">
{stage_card}
{split_card}
</section>
<h2>Per target</h2>
<div class="table-wrap"><table><thead><tr><th>target</th><th class="num">requests</th>
<th class="num">errors</th><th class="num">error rate</th><th class="num">p50</th>
<th class="num">p95</th><th class="num">p99</th></tr></thead><tbody>{targets}</tbody></table></div>
<h2>Per target over time <span class="muted">(each periodic interval)</span></h2>
{_target_charts(figures)}
<h2>Shadow evidence</h2>
{_facts(shadow) if shadow else '<p class="muted">This route is not shadow-compared.</p>'}
<h2>Differing fields <span class="muted">(legacy ⟷ modern, redacted samples)</span></h2>
<div class="table-wrap"><table id="fields"><thead><tr><th>field</th><th class="num">times</th>
<th>legacy ⟷ modern</th></tr></thead><tbody>{fields}</tbody></table></div>
<h2>Canary and guardrail</h2>
{_facts(guard)}
<h2>Timeline</h2>
{_events(root, events, with_route=False)}
<h2>Audit log <span class="muted">(guardrail and autopilot decisions)</span></h2>
{audit}
{extra}
"""
