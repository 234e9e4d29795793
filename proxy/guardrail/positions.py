"""Where a route stands: a stage and, at canary, a percent — configured or effective.

A `Position` (`proxy.config.moves`, the one position type) is what the guardrail and
autopilot move; a route's `configured` one is `proxy.config.position_of`. `apply`
turns one into the `Route` the data path uses (a copy of the configured route, only
its stage and canary percent changed), so everything downstream — the canary split,
fallback, shadowing — behaves exactly as if routes.yaml said so.
"""

from __future__ import annotations

from proxy.config import CanaryRule, Position, Route
from proxy.config import position_of as configured

__all__ = ["LEGACY", "Position", "apply", "configured", "ladder", "next_position"]


LEGACY = Position("legacy")


def ladder(route: Route) -> list[Position]:
    """An autopilot route's positions: shadow, each canary step, modern."""
    steps = route.autopilot.steps if route.autopilot is not None else []
    return [Position("shadow"), *(Position("canary", s) for s in steps), Position("modern")]


def next_position(route: Route, current: Position) -> Position | None:
    """The first position of the ladder beyond `current`, None at the end."""
    return next((p for p in ladder(route) if p.rank > current.rank), None)


def apply(route: Route, position: Position) -> Route:
    """The route as the data path should see it at `position` (a copy; no validation
    needed: the configured route was valid and only the stage and percent change)."""
    if position == configured(route):
        return route
    update: dict[str, object] = {"stage": position.stage}
    if position.stage == "canary":
        if route.canary is not None:
            update["canary"] = route.canary.model_copy(
                update={"percent": position.effective_percent}
            )
        else:
            pilot = route.autopilot
            update["canary"] = CanaryRule(
                percent=position.effective_percent,
                sticky=pilot.sticky if pilot is not None else "user",
                key=pilot.key if pilot is not None else None,
            )
    return route.model_copy(update=update)
