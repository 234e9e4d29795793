"""Readiness per stage: what a route waits for before it may move to the next stage.

Each stage is judged on its own evidence, never on a stage the route has left:

- legacy: nothing is being measured; moving to shadow starts the evidence.
- shadow → canary: the shadow evidence (`proxy.shadow.status.evidence_verdict` on
  the recent part of the current evidence window): the Wilson lower bound of the
  match rate and the minimum number of comparisons, errors within budget.
- canary → modern: the canary's own evidence, modern's error rate and latency against
  legacy's on the same route, which the canary analysis judges. This module takes
  that analysis' verdict as an input (`canary_verdict`: `CANARY_PASS`, any other text
  saying why not, or None while there is none yet). The legacy share is still shadow
  compared (`shadow.during_canary`); a failing comparison holds the canary too.
- modern → retired: legacy traffic gone: no request of the route served by legacy
  (before the move, or since by `fallback: legacy`) in the recent traffic window, with
  traffic to judge by.
- retired: the last stage.

Pure: the caller gathers the inputs (status, counters, the canary verdict).
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.config import Route

__all__ = ["CANARY_PASS", "Readiness", "RecentTraffic", "ShadowEvidence", "readiness"]

CANARY_PASS = "healthy"
"""The canary verdict that lets a canary route move to modern (the canary analysis'
state for a modern as good as legacy; any other verdict text is shown as the reason,
e.g. `failing: modern's error rate 4% above legacy's 1%`)."""

_NEXT = {"legacy": "shadow", "shadow": "canary", "canary": "modern", "modern": "retired"}


@dataclass(frozen=True, slots=True)
class ShadowEvidence:
    """The verdict on a route's recent shadow evidence.

    Parameters:
        holds: the match-rate bound, minimum comparisons and failure budget all hold.
        reason: why not (or "ready").
        enough: at least `min_comparisons` comparisons exist (a verdict, not a wait).
    """

    holds: bool
    reason: str
    enough: bool


@dataclass(frozen=True, slots=True)
class RecentTraffic:
    """Requests of one route in the recent traffic window, by the side that served them."""

    legacy: int
    modern: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether a route may move on, to which stage, and why (not)."""

    stage: str
    ready: bool
    reason: str
    next: str | None

    @property
    def verdict(self) -> str:
        if self.next is None:
            return "done"
        return f"ready for {self.next}" if self.ready else "not ready"

    def as_json(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "next": self.next,
            "ready": self.ready,
            "verdict": self.verdict,
            "reason": self.reason,
        }


def readiness(
    route: Route,
    shadow: ShadowEvidence | None,
    canary_verdict: str | None,
    traffic: RecentTraffic,
) -> Readiness:
    """The route's readiness at its current stage (see the module docstring)."""
    stage = route.stage
    nxt = _NEXT.get(stage)
    if stage == "legacy":
        return Readiness(stage, False, "not shadowed: set `stage: shadow` to gather evidence", nxt)
    if stage == "shadow":
        if shadow is None:
            return Readiness(stage, False, "no shadow evidence yet", nxt)
        return Readiness(stage, shadow.holds, shadow.reason, nxt)
    if stage == "canary":
        if shadow is not None and shadow.enough and not shadow.holds:
            return Readiness(
                stage, False, f"legacy share's shadow comparison: {shadow.reason}", nxt
            )
        if canary_verdict is None:
            return Readiness(stage, False, "waiting for canary analysis", nxt)
        if canary_verdict != CANARY_PASS:
            return Readiness(stage, False, f"canary analysis: {canary_verdict}", nxt)
        return Readiness(stage, True, "canary analysis passed", nxt)
    if stage == "modern":
        total = traffic.legacy + traffic.modern
        if total == 0:
            return Readiness(stage, False, f"no traffic in the last {traffic.seconds} s", nxt)
        if traffic.legacy:
            return Readiness(
                stage,
                False,
                f"legacy still served {traffic.legacy} of {total} requests in the last "
                f"{traffic.seconds} s",
                nxt,
            )
        return Readiness(
            stage,
            True,
            f"legacy served none of {total} requests in the last {traffic.seconds} s: remove "
            "the legacy endpoint, then set `stage: retired`",
            nxt,
        )
    return Readiness(stage, False, "retired: the last stage", None)
