"""Stale entries: improvements (or reasoned rollbacks) the baseline does not record yet.

A stale baseline would let the next change slide back to the old, recorded state
unnoticed, so every difference between the baseline and what `ratchet update` would
write fails the check until the update is committed. Entries already reported as a
regression are not repeated here.
"""

from __future__ import annotations

from collections.abc import Iterable

from proxy.config import Route
from strangler.ratchet.baseline import Baseline, RouteEntry
from strangler.ratchet.formats import STALE_PREFIX
from strangler.ratchet.problems import STALE, UPDATE_FIX, Problem
from strangler.ratchet.state import Snapshot

__all__ = ["stale_entries"]


def stale_entries(
    recorded: Baseline,
    proposed: Baseline,
    regressions: Iterable[Problem],
    now: Snapshot,
    recorded_text: str | None,
) -> list[Problem]:
    named = {problem.entry for problem in regressions}
    routes = {route.id: route for route in now.routes}
    found = [
        *_routes(recorded, proposed),
        *_legacy(recorded, proposed),
        *_exceptions(recorded, proposed),
        *_rollbacks(recorded, proposed, routes),
    ]
    problems = [_stale(entry, message) for entry, message in found if entry not in named]
    if not found and recorded_text is not None and recorded_text != proposed.render():
        problems.append(_stale("baseline", "the file differs from what `ratchet update` writes"))
    return problems


def _stale(entry: str, message: str) -> Problem:
    return Problem(STALE, entry, STALE_PREFIX + message, UPDATE_FIX)


def _routes(recorded: Baseline, proposed: Baseline) -> Iterable[tuple[str, str]]:
    for route_id in sorted(set(recorded.routes) | set(proposed.routes)):
        before, after = recorded.routes.get(route_id), proposed.routes.get(route_id)
        if before == after:
            continue
        if before is None:
            assert after is not None
            yield route_id, f"route {route_id!r} was added ({_describe(after)})"
        elif after is None:
            yield route_id, f"route {route_id!r} was removed"
        elif before.stage != after.stage:
            yield route_id, f"route {route_id!r} moved from {before.stage} to {after.stage}"
        else:
            yield route_id, f"route {route_id!r} changed: {_describe(before)} → {_describe(after)}"


def _describe(entry: RouteEntry) -> str:
    return f"{','.join(entry.methods)} {entry.path} at {entry.position}"


def _legacy(recorded: Baseline, proposed: Baseline) -> Iterable[tuple[str, str]]:
    for endpoint in sorted(recorded.legacy - proposed.legacy, key=lambda e: e.sort_key):
        yield str(endpoint), f"legacy no longer serves {endpoint}"


def _exceptions(recorded: Baseline, proposed: Baseline) -> Iterable[tuple[str, str]]:
    for exception in sorted(recorded.exceptions - proposed.exceptions):
        yield (
            str(exception),
            f"layering exception {exception.importer} -> {exception.imported}"
            f" of contract {exception.contract!r} was removed",
        )


def _rollbacks(
    recorded: Baseline, proposed: Baseline, routes: dict[str, Route]
) -> Iterable[tuple[str, str]]:
    for route_id in sorted(set(recorded.rollbacks) | set(proposed.rollbacks)):
        before, after = recorded.rollbacks.get(route_id), proposed.rollbacks.get(route_id)
        if before == after:
            continue
        if after is None:
            yield route_id, f"the rollback of route {route_id!r} was resolved"
        elif before is None:
            rollback = routes[route_id].rollback
            reason = rollback.reason if rollback is not None else ""
            yield (
                route_id,
                (
                    f"route {route_id!r} was rolled back to {routes[route_id].stage} "
                    f"(owes {after.position}; reason: {reason})"
                ),
            )
        else:
            yield route_id, f"the rollback of route {route_id!r} changed: {after.line()}"
