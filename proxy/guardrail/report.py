"""What status and metrics show of the guardrail: configured vs effective, verdicts,
overrides, trips, autopilot.

A route's `configured` position is what routes.yaml says; `effective` is where it
is served from now and who decided (`routes.yaml`, `guardrail`, `autopilot`). The
verdict shown is read fresh from the shared window, so every worker shows the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client.core import Metric
from redis.exceptions import RedisError

from proxy.config import Route
from proxy.exposition import Families, counter, exposition, gauge
from proxy.guardrail.positions import configured

if TYPE_CHECKING:
    from proxy.guardrail.engine import Guardrail

__all__ = ["guardrail_families", "metrics_text", "route_fields"]

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


async def metrics_text(guardrail: Guardrail, routes: Iterable[Route]) -> str:
    """Prometheus exposition text for the guardrail (appended to `/metrics`)."""
    return exposition(Families(await guardrail_families(guardrail, routes))).decode()


async def guardrail_families(guardrail: Guardrail, routes: Iterable[Route]) -> list[Metric]:
    """The guardrail's families for one scrape (verdicts are read fresh from Redis)."""
    await guardrail.try_refresh()
    percent = gauge(
        "strangler_route_effective_percent",
        "Share of a route's keys served by modern now (after overrides and autopilot).",
        "route",
    )
    verdicts = gauge(
        "strangler_canary_verdict",
        "Canary analysis verdict per route (1 for the current one).",
        "route",
        "verdict",
    )
    rates = gauge(
        "strangler_canary_error_rate",
        "Error rate in the analysis window, before fallback.",
        "route",
        "target",
    )
    latency = gauge(
        "strangler_canary_latency_seconds",
        "Time to the response head in the analysis window.",
        "route",
        "target",
        "quantile",
    )
    overrides = gauge(
        "strangler_guardrail_override", "1 while the guardrail holds the route at legacy.", "route"
    )
    trips = counter(
        "strangler_guardrail_trips_total",
        "Times the guardrail sent the route back to legacy.",
        "route",
    )
    pilots = gauge("strangler_autopilot_status", "Autopilot status per route.", "route", "status")
    for route in routes:
        position, _ = guardrail.position(route)
        percent.add_metric([route.id], position.effective_percent)
        if not _watched(guardrail, route):
            continue
        try:
            verdict = await guardrail.analyse(route)
        except (RedisError, OSError):  # the scrape still answers; the families go quiet
            continue
        for state in VERDICTS:
            verdicts.add_metric([route.id, state], int(verdict.state == state))
        for target in ("legacy", "modern"):
            side = verdict.figures.get(target)
            if not isinstance(side, dict):
                continue
            if isinstance(side.get("error_rate"), int | float):
                rates.add_metric([route.id, target], side["error_rate"])
            for quantile, q in (("p95", "0.95"), ("p99", "0.99")):
                value = side.get(f"{quantile}_ms")
                if isinstance(value, int | float):
                    latency.add_metric([route.id, target, q], value / 1000)
        overrides.add_metric([route.id], int(guardrail.override_of(route) is not None))
        trips.add_metric([route.id], guardrail.trips(route.id))
        pilot = guardrail.pilot_of(route)
        if pilot is not None:
            for status in PILOT_STATUSES:
                pilots.add_metric([route.id, status], int(pilot.get("status") == status))
    return [percent, verdicts, rates, latency, overrides, trips, pilots]
