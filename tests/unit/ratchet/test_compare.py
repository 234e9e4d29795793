"""The comparison rules on hand-built states, without files (the integration tests
run the same rules through the CLI on scratch repositories)."""

from __future__ import annotations

from datetime import date
from typing import Any

from proxy.config import Route
from strangler.ratchet.baseline import Baseline
from strangler.ratchet.check import compare
from strangler.ratchet.contracts import BrokenContract, ContractsState, LayeringException
from strangler.ratchet.inventory import Endpoint
from strangler.ratchet.state import Snapshot

TODAY = date(2026, 11, 28)
EXCEPTION = LayeringException("layers", "m.api", "m.repositories")


def route(route_id: str, path: str, stage: str, **extra: Any) -> Route:
    fields: dict[str, Any] = {"id": route_id, "path": path, "stage": stage, **extra}
    if stage == "canary":
        fields.setdefault("canary", {"percent": 10})
    return Route.model_validate(fields)


def snapshot(
    *routes: Route, legacy: list[str], contracts: ContractsState | None = None
) -> Snapshot:
    endpoints = tuple(Endpoint.of(*item.split(" ")) for item in legacy)
    state = contracts or ContractsState(counted=(), exceptions=frozenset(), broken=())
    return Snapshot(routes=tuple(routes), legacy=endpoints, contracts=state)


BASE = snapshot(
    route("a", "/a", "modern"), route("b", "/b", "shadow"), route("c", "/c", "legacy"),
    legacy=["GET /a", "GET /b", "GET /c"],
)  # fmt: skip


def recorded(state: Snapshot = BASE) -> Baseline:
    outcome = compare(state, None, today=TODAY)
    assert not outcome.regressions, outcome.problems
    return outcome.proposed


def kinds(state: Snapshot, baseline: Baseline, today: date = TODAY) -> list[tuple[str, str]]:
    return [(p.kind, p.entry) for p in compare(state, baseline, today=today).problems]


def test_the_recorded_state_itself_has_no_problems() -> None:
    baseline = recorded()
    outcome = compare(BASE, baseline, today=TODAY, recorded_text=baseline.render())
    assert outcome.ok
    assert outcome.summary.migrated == 1 and outcome.summary.routes_total == 3


def test_a_first_update_records_existing_exceptions() -> None:
    state = ContractsState(counted=("layers",), exceptions=frozenset({EXCEPTION}), broken=())
    outcome = compare(snapshot(route("a", "/a", "legacy"), legacy=["GET /a"], contracts=state),
                      None, today=TODAY)  # fmt: skip
    assert outcome.ok and outcome.proposed.exceptions == {EXCEPTION}


def test_a_rollback_owes_the_highest_recorded_stage_across_updates() -> None:
    back = snapshot(route("a", "/a", "shadow", rollback={"reason": "slow p99"}),
                    route("b", "/b", "shadow"), route("c", "/c", "legacy"),
                    legacy=["GET /a", "GET /b", "GET /c"])  # fmt: skip
    first = compare(back, recorded(), today=TODAY)
    assert [(p.kind, p.entry) for p in first.problems] == [("stale", "a"), ("stale", "a")]
    assert first.proposed.rollbacks["a"].owed == "modern"
    further = snapshot(route("a", "/a", "legacy", rollback={"reason": "slower still"}),
                       route("b", "/b", "shadow"), route("c", "/c", "legacy"),
                       legacy=["GET /a", "GET /b", "GET /c"])  # fmt: skip
    second = compare(further, first.proposed, today=TODAY)
    assert not second.regressions
    assert second.proposed.rollbacks["a"].owed == "modern"  # still owes modern, not shadow


def test_a_rollback_expiring_today_is_still_valid() -> None:
    rollback = {"reason": "slow", "expires": "2026-11-28"}
    back = snapshot(route("a", "/a", "shadow", rollback=rollback),
                    route("b", "/b", "shadow"), route("c", "/c", "legacy"),
                    legacy=["GET /a", "GET /b", "GET /c"])  # fmt: skip
    assert ("expired-rollback", "a") not in kinds(back, recorded())
    assert ("expired-rollback", "a") in kinds(back, recorded(), today=date(2026, 11, 29))


def test_a_route_added_before_migration_lowers_the_share() -> None:
    grown = snapshot(*BASE.routes, route("d", "/d", "legacy"),
                     legacy=["GET /a", "GET /b", "GET /c", "GET /d"])  # fmt: skip
    problems = compare(grown, recorded(), today=TODAY).problems
    share = [p for p in problems if p.kind == "share-drop"]
    assert len(share) == 1 and "added before migrating: d" in share[0].message
    assert ("new-endpoint", "GET /d") in [(p.kind, p.entry) for p in problems]


def test_a_retired_route_whose_endpoint_is_long_gone_stays_valid() -> None:
    retired = snapshot(route("a", "/a", "retired"), route("b", "/b", "shadow"),
                       route("c", "/c", "legacy"), legacy=["GET /b", "GET /c"])  # fmt: skip
    once = compare(retired, recorded(), today=TODAY)
    assert not once.regressions and {p.entry for p in once.stale} == {"a", "GET /a"}
    later = compare(retired, once.proposed, today=TODAY)  # GET /a no longer in the baseline
    assert later.ok, later.problems


def test_a_websocket_route_claims_the_ws_endpoint_only() -> None:
    state = snapshot(route("s", "/ws/{id}", "legacy", websocket=True), legacy=["GET /ws/{x}"])
    found = kinds(state, Baseline(legacy=frozenset(state.legacy)))
    assert ("unmapped-endpoint", "GET /ws/{x}") in found
    assert ("orphan-route", "s") in found


def test_each_broken_contract_chain_is_its_own_problem() -> None:
    broken = BrokenContract("layers", "m is layered", ("m.a -> m.b", "m.c -> m.b"))
    state = ContractsState(counted=("layers",), exceptions=frozenset(), broken=(broken,))
    with_broken = snapshot(*BASE.routes, legacy=["GET /a", "GET /b", "GET /c"], contracts=state)
    problems = compare(with_broken, recorded(), today=TODAY).regressions
    assert [p.message.rsplit(": ", 1)[1] for p in problems] == ["m.a -> m.b", "m.c -> m.b"]
