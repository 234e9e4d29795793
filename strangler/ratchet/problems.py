"""What the ratchet reports: one `Problem` per offending entry, and the run's `Outcome`.

Every problem names its entry (a route id, an endpoint, a contract, an exception) and
says how to fix it, so a failed CI run is actionable without reading the ratchet's
code. Kinds are listed in the order reports show them; `stale` is the only kind that
`ratchet update` fixes by itself, every other kind is a regression it refuses to record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strangler.ratchet.baseline import Baseline

__all__ = ["KINDS", "STALE", "UPDATE_FIX", "Outcome", "Problem", "Summary"]

STALE = "stale"
UPDATE_FIX = "run `strangler ratchet update` and commit the baseline"
# kind -> heading used by the Markdown report
KINDS: dict[str, str] = {
    "stage-regression": "Routes moved back to an earlier stage",
    "expired-rollback": "Rollbacks past their expiry date",
    "share-drop": "Migrated share dropped",
    "new-endpoint": "New legacy endpoints",
    "unmapped-endpoint": "Legacy endpoints without a route",
    "orphan-route": "Routes that match no legacy endpoint",
    "retired-served": "Retired routes that legacy still serves",
    "dropped-early": "Legacy endpoints dropped before their route reached modern",
    "broken-contract": "Broken layering contracts",
    "new-exception": "New layering exceptions",
    STALE: "Baseline out of date",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One offending entry.

    Parameters:
        kind: one of `KINDS`.
        entry: what is wrong, as the files name it (route id, `GET /path`, contract id).
        message: what is wrong with it.
        fix: how to make the check pass.
    """

    kind: str
    entry: str
    message: str
    fix: str

    @property
    def is_regression(self) -> bool:
        return self.kind != STALE

    def sort_key(self) -> tuple[int, str, str]:
        return (list(KINDS).index(self.kind), self.entry, self.message)

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "entry": self.entry, "message": self.message, "fix": self.fix}


@dataclass(frozen=True, slots=True)
class Summary:
    """Migration figures of the current state, for every output format.

    Parameters:
        routes_total, migrated: routes in the table, and those at modern or retired.
        by_stage: routes per stage, every stage present.
        legacy_endpoints: endpoints legacy serves now.
        exceptions: layering exceptions tolerated now.
        contracts: ids of the layering contracts that count (those naming modern).
        rollbacks: `(route id, expires or None, reason)` per route with a rollback.
        expired: ids of the routes whose rollback has expired.
    """

    routes_total: int
    migrated: int
    by_stage: dict[str, int]
    legacy_endpoints: int
    exceptions: int
    rollbacks: tuple[tuple[str, str | None, str], ...]
    contracts: tuple[str, ...] = ()
    expired: frozenset[str] = frozenset()

    @property
    def percent(self) -> float:
        return 100.0 * self.migrated / self.routes_total if self.routes_total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "routes_total": self.routes_total,
            "migrated": self.migrated,
            "percent_migrated": round(self.percent, 1),
            "by_stage": dict(self.by_stage),
            "legacy_endpoints": self.legacy_endpoints,
            "layering_exceptions": self.exceptions,
            "contracts": sorted(self.contracts),
            "rollbacks": [
                {
                    "route": route,
                    "expires": expires,
                    "expired": route in self.expired,
                    "reason": reason,
                }
                for route, expires, reason in self.rollbacks
            ],
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of comparing the current state with the baseline.

    Parameters:
        summary: figures of the current state.
        problems: every offending entry, sorted by kind then entry.
        proposed: the baseline `ratchet update` would write.
    """

    summary: Summary
    problems: tuple[Problem, ...]
    proposed: Baseline

    @property
    def regressions(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_regression)

    @property
    def stale(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_regression)

    @property
    def ok(self) -> bool:
        return not self.problems
