"""Where a route stands: a stage and, at canary, a percent — configured or effective.

A `Position` is what the guardrail and autopilot move. `apply` turns one into the
`Route` the data path uses (a copy of the configured route, only its stage and
canary percent changed), so everything downstream — the canary split, fallback,
shadowing — behaves exactly as if routes.yaml said so.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.config import CanaryRule, Route, Stage, stage_index

__all__ = ["LEGACY", "Position", "apply", "configured", "ladder", "next_position"]


@dataclass(frozen=True, slots=True)
class Position:
    stage: Stage
    percent: float = 0.0

    @property
    def rank(self) -> tuple[int, float]:
        return (stage_index(self.stage), self.percent if self.stage == "canary" else 0.0)

    @property
    def label(self) -> str:
        return f"canary {self.percent:g}%" if self.stage == "canary" else self.stage

    def as_json(self) -> dict[str, object]:
        return {"stage": self.stage, "percent": self.effective_percent, "label": self.label}

    @property
    def effective_percent(self) -> float:
        """Share of the route's keys sent to modern."""
        if self.stage == "canary":
            return self.percent
        return 100.0 if self.stage in ("modern", "retired") else 0.0

    def dump(self) -> list[object]:
        return [self.stage, self.percent]

    @classmethod
    def load(cls, value: object) -> Position | None:
        if isinstance(value, list) and len(value) == 2 and value[0] in _STAGES:
            percent = value[1] if isinstance(value[1], int | float) else 0.0
            return cls(value[0], float(percent))
        return None


_STAGES = ("legacy", "shadow", "canary", "modern", "retired")
LEGACY = Position("legacy")


def configured(route: Route) -> Position:
    if route.stage == "canary" and route.canary is not None:
        return Position("canary", route.canary.percent)
    return Position(route.stage)


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
            update["canary"] = route.canary.model_copy(update={"percent": position.percent})
        else:
            pilot = route.autopilot
            update["canary"] = CanaryRule(
                percent=position.percent,
                sticky=pilot.sticky if pilot is not None else "user",
                key=pilot.key if pilot is not None else None,
            )
    return route.model_copy(update=update)
