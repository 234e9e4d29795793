"""The backward-move rule: ONE implementation for the proxy's reload, `strangler check`
and the ratchet, so what one accepts the others accept.

A route stands at a `Position`: its stage, and at canary its percent. A move to an
earlier stage, or a lower canary percent, is a step back: lowering a canary sends
users who were on modern back to legacy, which is as much a rollback as changing the
stage. A step back is accepted only with `rollback: {reason, expires}` on the route,
and only until `expires` (inclusive); an expired rollback excuses nothing and is
reported as expired. What the route is compared against differs by caller: the
table in force (proxy reload, `check --url`), or the position `migration.lock`
records, including the position a recorded rollback still owes (`check`, ratchet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from proxy.config.models import STAGES, Rollback, Route, RoutesConfig, Stage, stage_index

__all__ = [
    "MoveProblem",
    "Position",
    "backward_moves",
    "judge_move",
    "position_of",
    "rollback_expired",
    "step_back",
    "today_utc",
]


@dataclass(frozen=True, slots=True, order=False)
class Position:
    """Where a route stands: its stage and, at canary, the percent sent to modern
    (None elsewhere, and where a record kept no percent). The one position type: the
    backward-move rule compares them, the guardrail and autopilot move routes between
    them (`proxy.guardrail.positions`)."""

    stage: Stage
    percent: float | None = None

    @property
    def rank(self) -> tuple[int, float]:
        """Sort key along the forward path (legacy → … → canary 1 % → canary 50 % → modern)."""
        return (stage_index(self.stage), self.percent or 0.0)

    def __str__(self) -> str:
        if self.stage == "canary" and self.percent is not None:
            return f"canary {self.percent:g}%"
        return self.stage

    @property
    def label(self) -> str:
        return str(self)

    @property
    def effective_percent(self) -> float:
        """Share of the route's keys sent to modern."""
        if self.stage == "canary":
            return self.percent or 0.0
        return 100.0 if self.stage in ("modern", "retired") else 0.0

    def as_json(self) -> dict[str, object]:
        return {"stage": self.stage, "percent": self.effective_percent, "label": self.label}

    def dump(self) -> list[object]:
        """The stored form `[stage, percent]` (0 when there is no percent)."""
        return [self.stage, self.percent or 0.0]

    @classmethod
    def load(cls, value: object) -> Position | None:
        """A stored or reported `[stage, percent]`; None when it is not one. A percent
        counts at canary only, so a position loaded equals the one it was made from."""
        if isinstance(value, list) and len(value) == 2 and value[0] in STAGES:
            if value[0] != "canary":
                return cls(value[0])
            percent = value[1] if isinstance(value[1], int | float) else 0.0
            return cls(value[0], float(percent))
        return None


@dataclass(frozen=True, slots=True)
class MoveProblem:
    """A step back that is not excused.

    Parameters:
        route_id: the route.
        kind: `backward` (no rollback) or `expired` (its rollback expired).
        message: one line naming the route, the move and the fix.
    """

    route_id: str
    kind: Literal["backward", "expired"]
    message: str

    def __str__(self) -> str:
        return self.message


def today_utc() -> date:
    return datetime.now(UTC).date()


def position_of(route: Route) -> Position:
    percent = route.canary.percent if route.stage == "canary" and route.canary else None
    return Position(route.stage, percent)


def rollback_expired(rollback: Rollback, today: date | None = None) -> bool:
    """True once `expires` has passed (a rollback expiring today is still valid)."""
    return rollback.expires is not None and rollback.expires < (today or today_utc())


def step_back(before: Position, after: Position) -> str | None:
    """How `after` is behind `before`, or None when it is not."""
    if stage_index(after.stage) < stage_index(before.stage):
        return f"stage moved back from {before} to {after}"
    if (
        after.stage == before.stage == "canary"
        and before.percent is not None
        and after.percent is not None
        and after.percent < before.percent
    ):
        return f"canary percent lowered from {before.percent:g}% to {after.percent:g}%"
    return None


def judge_move(route: Route, before: Position | None, today: date) -> MoveProblem | None:
    """The problem with moving `route` from `before` to where it stands now, if any."""
    if before is None:
        return None
    step = step_back(before, position_of(route))
    if step is None:
        return None
    rollback = route.rollback
    if rollback is None:
        return MoveProblem(
            route.id,
            "backward",
            f"route {route.id!r}: {step} without `rollback: {{reason: …, expires: …}}`",
        )
    if rollback_expired(rollback, today):
        expires = rollback.expires.isoformat() if rollback.expires else "-"
        return MoveProblem(
            route.id,
            "expired",
            f"route {route.id!r}: {step}, but its rollback expired on {expires} "
            f"(reason: {rollback.reason}): move it forward to {before}, or set a later "
            "`expires`",
        )
    return None


def backward_moves(
    old: RoutesConfig | Mapping[str, Position | Stage],
    new: RoutesConfig,
    today: date | None = None,
) -> list[MoveProblem]:
    """Every unexcused step back from `old` (a table, or positions or bare stages by
    route id: a record that knows no percent) to `new`."""
    before = (
        {route.id: position_of(route) for route in old.routes}
        if isinstance(old, RoutesConfig)
        else {k: Position(v) if isinstance(v, str) else v for k, v in old.items()}
    )
    day = today or today_utc()
    problems = (judge_move(route, before.get(route.id), day) for route in new.routes)
    return [problem for problem in problems if problem is not None]
