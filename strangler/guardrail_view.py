"""The guardrail's part of `strangler status`: effective stage, verdicts, overrides, autopilot.

Kept apart from the status table itself so the two evolve independently; both read
the same `api/status` document.
"""

from __future__ import annotations

from typing import Any

__all__ = ["effective_suffix", "guardrail_lines"]


def effective_suffix(route: dict[str, Any]) -> str:
    """` -> legacy (guardrail)` when the route is served elsewhere than configured."""
    effective = route.get("effective") or {}
    if not effective or effective.get("by") in (None, "routes.yaml"):
        return ""
    return f" -> {effective.get('label')} ({effective.get('by')})"


def _side(figures: dict[str, Any], target: str) -> str:
    side = figures.get(target) or {}
    rate = side.get("error_rate")
    shown = "-" if rate is None else f"{100 * rate:.1f}%"
    p95 = side.get("p95_ms")
    latency = "-" if p95 is None else f"{p95:g} ms"
    return f"{target} {side.get('requests', 0)} req, {shown} errors, p95 {latency}"


def guardrail_lines(status: dict[str, Any]) -> list[str]:
    """One line per watched route: verdict and figures, override, autopilot position."""
    lines = []
    for route in status.get("routes", []):
        analysis = route.get("analysis")
        if not analysis:
            continue
        guard = route.get("guardrail") or {}
        figures = analysis.get("figures") or {}
        lines.append(
            f"  {route.get('id')}: {analysis.get('verdict')} ({analysis.get('reason')}); "
            f"{_side(figures, 'modern')}; {_side(figures, 'legacy')}; guardrail "
            f"{guard.get('mode')}, {guard.get('trips', 0)} trip(s)"
        )
        override = guard.get("override")
        if override:
            lines.append(
                f"    OVERRIDE: sent back to legacy at {override.get('at')} "
                f"(was {override.get('from')}): {override.get('reason')} "
                f"-- lift with `strangler override clear {route.get('id')}`"
            )
        pilot = route.get("autopilot")
        if pilot:
            position = (pilot.get("position") or {}).get("label", "-")
            lines.append(
                f"    autopilot {pilot.get('status')}: at {position}, next {pilot.get('next')}, "
                f"held {pilot.get('held_seconds')} s"
            )
    return ["", "canary analysis:", *lines] if lines else []
