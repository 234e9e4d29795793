"""What status and metrics show of the guardrail: configured vs effective, verdicts,
overrides, trips, autopilot.

A route's `configured` position is what routes.yaml says; `effective` is where it
is served from now and who decided (`routes.yaml`, `guardrail`, `autopilot`). The
verdict shown is read fresh from the shared window, so every worker shows the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from proxy.config import Route
from proxy.guardrail.positions import configured

if TYPE_CHECKING:
    from proxy.guardrail.engine import Guardrail

__all__ = ["metrics_text", "route_fields"]

VERDICTS = ("healthy", "failing", "insufficient")
PILOT_STATUSES = ("starting", "running", "halted", "done")


def _watched(guardrail: Guardrail, route: Route) -> bool:
    """Routes that have (or had) a canary to judge: the rest need no analysis block."""
    if route.websocket:
        return False
    position, _ = guardrail.position(route)
    return (
        route.stage == "canary"
        or position.stage == "canary"
        or route.autopilot is not None
        or guardrail.override_of(route) is not None
    )


async def route_fields(guardrail: Guardrail, route: Route) -> dict[str, object]:
    """Fields added to a route's entry in `api/status`."""
    position, source = guardrail.position(route)
    fields: dict[str, object] = {
        "configured": configured(route).as_json(),
        "effective": {**position.as_json(), "by": source},
    }
    if not _watched(guardrail, route):
        return fields
    fields["guardrail"] = {
        "mode": route.guardrail,
        "override": guardrail.override_of(route),
        "trips": guardrail.trips(route.id),
    }
    try:
        analysis = (await guardrail.analyse(route)).as_json()
    except (RedisError, OSError) as exc:  # status must still answer: say what is unknown
        analysis = {"verdict": "unknown", "reason": f"Redis is unavailable: {exc}", "figures": {}}
    analysis["thresholds"] = route.analysis.model_dump()
    fields["analysis"] = analysis
    pilot = guardrail.pilot_of(route)
    if pilot is not None:
        fields["autopilot"] = pilot
    return fields


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


async def metrics_text(guardrail: Guardrail, routes: Iterable[Route]) -> str:
    """Prometheus exposition text for the guardrail (appended to `/metrics`)."""
    await guardrail.try_refresh()
    percent, verdicts, rates, latency, overrides, trips, pilots = [], [], [], [], [], [], []
    for route in routes:
        label = f'route="{_label(route.id)}"'
        position, _ = guardrail.position(route)
        share = position.effective_percent
        percent.append(f"strangler_route_effective_percent{{{label}}} {share:g}")
        if not _watched(guardrail, route):
            continue
        try:
            verdict = await guardrail.analyse(route)
        except (RedisError, OSError):  # the scrape still answers; the families go quiet
            continue
        for state in VERDICTS:
            current = int(verdict.state == state)
            verdicts.append(f'strangler_canary_verdict{{{label},verdict="{state}"}} {current}')
        for target in ("legacy", "modern"):
            side = verdict.figures.get(target)
            if not isinstance(side, dict):
                continue
            where = f'{label},target="{target}"'
            if side.get("error_rate") is not None:
                rates.append(f"strangler_canary_error_rate{{{where}}} {side['error_rate']}")
            for quantile in ("p95", "p99"):
                value = side.get(f"{quantile}_ms")
                if isinstance(value, int | float):
                    q = "0.95" if quantile == "p95" else "0.99"
                    seconds = value / 1000
                    latency.append(
                        f'strangler_canary_latency_seconds{{{where},quantile="{q}"}} {seconds:g}'
                    )
        held = int(guardrail.override_of(route) is not None)
        overrides.append(f"strangler_guardrail_override{{{label}}} {held}")
        trips.append(f"strangler_guardrail_trips_total{{{label}}} {guardrail.trips(route.id)}")
        pilot = guardrail.pilot_of(route)
        if pilot is not None:
            for status in PILOT_STATUSES:
                pilots.append(
                    f'strangler_autopilot_status{{{label},status="{status}"}} '
                    f"{int(pilot.get('status') == status)}"
                )
    families = [
        (
            "strangler_route_effective_percent",
            "gauge",
            "Share of a route's keys served by modern now (after overrides and autopilot).",
            percent,
        ),
        (
            "strangler_canary_verdict",
            "gauge",
            "Canary analysis verdict per route (1 for the current one).",
            verdicts,
        ),
        (
            "strangler_canary_error_rate",
            "gauge",
            "Error rate in the analysis window, before fallback.",
            rates,
        ),
        (
            "strangler_canary_latency_seconds",
            "gauge",
            "Time to the response head in the analysis window.",
            latency,
        ),
        (
            "strangler_guardrail_override",
            "gauge",
            "1 while the guardrail holds the route at legacy.",
            overrides,
        ),
        (
            "strangler_guardrail_trips_total",
            "counter",
            "Times the guardrail sent the route back to legacy.",
            trips,
        ),
        ("strangler_autopilot_status", "gauge", "Autopilot status per route.", pilots),
    ]
    out: list[str] = []
    for name, kind, text, lines in families:
        out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *lines]
    return "\n".join(out) + "\n"
