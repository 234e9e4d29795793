"""Canary analysis, guardrail overrides and autopilot: the proxy acts on evidence.

The parts, and how a canary request meets them:

    Forwarder ── guard.effective(route) ──> the route as the guardrail wants it served
       │                                    (a dict lookup in `engine.Guardrail`)
       └─ each upstream attempt on a canary ─> guard.observe  →  `window.Recorder`

    engine.Guardrail, a background task per worker, every `TICK` seconds:
       window.WindowStore     per-slot Redis hashes: counts, errors, latency histograms
       analysis.judge         modern vs legacy over the window → healthy/failing/insufficient
       store.Store            overrides, autopilot states, audit log; compare-and-set
       positions              stage + percent ↔ the Route copy the data path uses
       readiness              shadow `ready_to_promote`, read in one place
    admin                     /_strangler/api/routes/{id}/guardrail, …/override, …/history
    report                    the status fields and Prometheus families
    writeback                 effective positions written back into routes.yaml

The rule of the data path holds here too: nothing the request path calls awaits.
"""

from __future__ import annotations

from typing import Protocol

from proxy.config import Route
from proxy.guardrail.analysis import Verdict, VerdictState, judge
from proxy.guardrail.engine import TICK, Guardrail, fingerprint
from proxy.guardrail.positions import Position

__all__ = [
    "TICK",
    "Guard",
    "Guardrail",
    "Position",
    "Unguarded",
    "Verdict",
    "VerdictState",
    "fingerprint",
    "judge",
]


class Guard(Protocol):
    """What the data path asks of the guardrail; both calls are synchronous and cheap."""

    def effective(self, route: Route) -> Route: ...

    def observe(self, route: Route, target: str, *, failed: bool, elapsed: float) -> None: ...


class Unguarded:
    """No guardrail: every route as configured, nothing counted."""

    def effective(self, route: Route) -> Route:
        return route

    def observe(self, route: Route, target: str, *, failed: bool, elapsed: float) -> None:
        return None
