"""Compare the current state with the baseline: every regression and every stale entry.

`compare` is pure (a snapshot, the recorded baseline, today's date in; an `Outcome`
out), so each rule is tested without files. The rules, each naming its entry:

- a route moved to an earlier stage, or a canary lowered to a smaller percent, needs
  an unexpired `rollback: {reason}` (the rule shared with the proxy's reload and
  `strangler check`: `proxy.config.moves`); a rollback removed while the route still
  owes its earlier position is a move back too;
- the share of routes at modern or retired never drops (each route counts at the
  stage it owes, so this catches routes removed, or added before being migrated);
- legacy gains no endpoint; every legacy endpoint has a route, every route a legacy
  endpoint (or `modern_only`); retired means legacy no longer serves it, and legacy
  drops an endpoint only once its route is at modern; a retired route rolled back
  with a reason may see its legacy endpoint restored while the rollback lasts;
- counted layering contracts hold and their `ignore_imports` never grow;
- anything else that differs from the baseline is an improvement not yet recorded:
  stale, so the committed baseline always tells the truth.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from fractions import Fraction

from proxy.config import STAGES, Position, Route, judge_move, position_of, rollback_expired
from strangler.ratchet import staleness
from strangler.ratchet.baseline import MIGRATED, Baseline, RollbackEntry
from strangler.ratchet.inventory import Endpoint
from strangler.ratchet.problems import Outcome, Problem, Summary
from strangler.ratchet.state import Snapshot, endpoints_of, route_entry

__all__ = ["compare"]


def compare(
    now: Snapshot, recorded: Baseline | None, *, today: date, recorded_text: str | None = None
) -> Outcome:
    """Everything wrong with `now` relative to `recorded` (None: no baseline yet)."""
    base = recorded if recorded is not None else Baseline()
    proposed = _proposed(now, base)
    problems: list[Problem] = []
    problems += _stage_moves(now, base, proposed, today)
    if recorded is not None:
        problems += _share(now, recorded)
    problems += _endpoints(now, base, has_baseline=recorded is not None)
    problems += _contracts(now, base, has_baseline=recorded is not None)
    if recorded is not None:
        problems += staleness.stale_entries(recorded, proposed, problems, now, recorded_text)
    return Outcome(
        summary=_summary(now, today),
        problems=tuple(sorted(problems, key=Problem.sort_key)),
        proposed=proposed,
    )


def _proposed(now: Snapshot, base: Baseline) -> Baseline:
    """The baseline `update` would write: the current state, with each rollback's debt."""
    rollbacks = {}
    for route in now.routes:
        if route.rollback is None:
            continue
        owed = _owed(route, base)
        rollbacks[route.id] = RollbackEntry(route.id, route.rollback.expires, owed.stage,
                                            owed.percent)  # fmt: skip
    return Baseline(
        routes={route.id: route_entry(route) for route in now.routes},
        legacy=frozenset(now.legacy),
        exceptions=now.contracts.exceptions,
        rollbacks=rollbacks,
    )


def _owed(route: Route, base: Baseline) -> Position:
    """The position a rolled-back route must return to: the highest it was recorded at."""
    candidates: list[Position] = [position_of(route)]
    if route.id in base.routes:
        candidates.append(base.routes[route.id].position)
    if route.id in base.rollbacks:
        candidates.append(base.rollbacks[route.id].position)
    return max(candidates, key=lambda position: position.rank)


def _stage_moves(now: Snapshot, base: Baseline, proposed: Baseline, today: date) -> list[Problem]:
    problems = []
    for route in now.routes:
        rollback = route.rollback
        owed = _owed(route, base)
        move = judge_move(route, owed, today)
        if rollback is not None and rollback_expired(rollback, today):
            expires = rollback.expires.isoformat() if rollback.expires else "-"
            problems.append(Problem(
                "expired-rollback", route.id,
                f"the rollback of route {route.id!r} to {position_of(route)} expired on "
                f"{expires} (reason: {rollback.reason})",
                f"move it forward to {proposed.rollbacks[route.id].position} and remove the "
                "rollback, or set a later `expires` with a reason the reviewers accept",
            ))  # fmt: skip
        elif move is not None:
            recorded = base.rollbacks.get(route.id)
            why = (
                f"lost its rollback while still at {position_of(route)}: it owes {owed}"
                if recorded is not None and recorded.position.rank > position_of(route).rank
                else move.message.removeprefix(f"route {route.id!r}: ")
            )
            problems.append(Problem(
                "stage-regression", route.id, f"route {route.id!r} {why}",
                f"set `stage: {owed.stage}` again"
                + (f" with `canary.percent: {owed.percent:g}`" if owed.percent else "")
                + ", or add `rollback: {reason: \"…\", expires: YYYY-MM-DD}` to the route",
            ))  # fmt: skip
    return problems


def _share(now: Snapshot, recorded: Baseline) -> list[Problem]:
    # Each route counts at the stage it owes: a move back is already reported (or
    # excused) route by route, so what is left is routes removed or added unmigrated.
    migrated = sum(_owed(r, recorded).stage in MIGRATED for r in now.routes)
    current = Fraction(migrated, len(now.routes)) if now.routes else Fraction(0)
    before = Fraction(recorded.migrated, len(recorded.routes)) if recorded.routes else Fraction(0)
    if current >= before:
        return []
    removed = sorted(set(recorded.routes) - {r.id for r in now.routes})
    added = sorted(
        r.id for r in now.routes if r.id not in recorded.routes and r.stage not in MIGRATED
    )
    causes = [f"removed: {', '.join(removed)}"] if removed else []
    causes += [f"added before migrating: {', '.join(added)}"] if added else []
    return [Problem(
        "share-drop", "migrated share",
        f"{migrated}/{len(now.routes)} routes ({float(current) * 100:.0f}%) are at modern or "
        f"retired, below the baseline's {recorded.migrated}/{len(recorded.routes)} "
        f"({float(before) * 100:.0f}%)" + (f"; {'; '.join(causes)}" if causes else ""),
        "keep migrated routes in routes.yaml (a retired route stays listed) and move routes "
        "forward, not back",
    )]  # fmt: skip


def _endpoints(now: Snapshot, base: Baseline, *, has_baseline: bool) -> list[Problem]:
    legacy = set(now.legacy)
    claimed: dict[Endpoint, Route] = {}
    for route in now.routes:
        for endpoint in endpoints_of(route):
            claimed.setdefault(endpoint, route)
    problems = []
    for endpoint in now.legacy:
        restored = _restored(claimed.get(endpoint), base)
        if has_baseline and endpoint not in base.legacy and not restored:
            problems.append(Problem(
                "new-endpoint", str(endpoint), f"legacy gained an endpoint: {endpoint}",
                "new endpoints belong in modern: build it there and add a modern_only route "
                "(`stage: modern`, `modern_only: true`), and remove it from legacy",
            ))  # fmt: skip
        elif endpoint not in claimed:
            problems.append(Problem(
                "unmapped-endpoint", str(endpoint),
                f"legacy serves {endpoint} but no route in routes.yaml matches it",
                "add a route entry for it (`stage: legacy` until it is migrated)",
            ))  # fmt: skip
    for route in now.routes:
        problems += _route_endpoints(route, legacy, base)
    return problems


def _route_endpoints(route: Route, legacy: set[Endpoint], base: Baseline) -> list[Problem]:
    mine = endpoints_of(route)
    served = [e for e in mine if e in legacy]
    if route.stage == "retired" and served:
        names = ", ".join(map(str, served))
        return [Problem(
            "retired-served", route.id,
            f"route {route.id!r} is retired but legacy still serves {names}",
            "remove the endpoint from legacy, or keep the route at modern until it is removed",
        )]  # fmt: skip
    gone = [e for e in mine if e not in legacy]
    if route.modern_only or not gone:
        return []
    dropped = [e for e in gone if e in base.legacy]
    names = ", ".join(map(str, gone))
    if route.stage in MIGRATED:
        recorded = base.routes.get(route.id)
        if len(dropped) == len(gone) or recorded == route_entry(route):
            return []  # legacy dropped it once modern served it: the goal
        if recorded is not None and recorded.stage == "retired":
            return []  # rolled back from retired: legacy's endpoint was removed then
    elif dropped:
        return [Problem(
            "dropped-early", route.id,
            f"legacy no longer serves {', '.join(map(str, dropped))} but route "
            f"{route.id!r} is still at {route.stage}",
            "move the route to modern before removing the endpoint from legacy",
        )]  # fmt: skip
    return [Problem(
        "orphan-route", route.id, f"route {route.id!r} ({names}) matches no legacy endpoint",
        "fix its path or methods, or mark it `modern_only: true` (at stage modern) if the "
        "endpoint exists only in modern",
    )]  # fmt: skip


def _restored(route: Route | None, base: Baseline) -> bool:
    """A retired route rolled back with a reason: its legacy endpoint may come back
    while the rollback lasts (it is the way back from retired)."""
    if route is None or route.rollback is None or route.stage == "retired":
        return False
    return _owed(route, base).stage == "retired"


def _contracts(now: Snapshot, base: Baseline, *, has_baseline: bool) -> list[Problem]:
    problems = []
    for broken in now.contracts.broken:
        for detail in broken.details:
            problems.append(Problem(
                "broken-contract", broken.contract,
                f"contract {broken.contract!r} ({broken.name}) is broken: {detail}",
                "fix the import (run `lint-imports` for file and line); layering exceptions "
                "may not grow",
            ))  # fmt: skip
    added = now.contracts.exceptions - base.exceptions if has_baseline else frozenset()
    for exception in sorted(added):
        problems.append(Problem(
            "new-exception", str(exception),
            f"contract {exception.contract!r} gained a layering exception: "
            f"{exception.importer} -> {exception.imported}",
            "remove the `ignore_imports` entry and fix the import: exceptions only shrink",
        ))  # fmt: skip
    return problems


def _summary(now: Snapshot, today: date) -> Summary:
    stages = Counter(route.stage for route in now.routes)
    rollbacks = tuple(
        (r.id, r.rollback.expires.isoformat() if r.rollback.expires else None, r.rollback.reason)
        for r in sorted(now.routes, key=lambda r: r.id)
        if r.rollback is not None
    )
    return Summary(
        routes_total=len(now.routes),
        migrated=stages["modern"] + stages["retired"],
        by_stage={stage: stages[stage] for stage in STAGES},
        legacy_endpoints=len(now.legacy),
        exceptions=len(now.contracts.exceptions),
        rollbacks=rollbacks,
        contracts=now.contracts.counted,
        expired=frozenset(
            r.id for r in now.routes if r.rollback and rollback_expired(r.rollback, today)
        ),
    )
