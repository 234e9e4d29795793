"""One backward-move rule, every judge: the rule itself, the proxy's reload, `strangler
check --lock` and the ratchet all give the verdicts of the shared table of cases
(`tests/support/move_cases.py`; `check --url` is in the integration tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from proxy.config import Position, load_routes, step_back
from proxy.config.moves import backward_moves, today_utc
from proxy.reload import Reloader
from proxy.routing import RouteTable
from strangler.cli import main
from strangler.ratchet.baseline import Baseline
from strangler.ratchet.check import compare
from strangler.ratchet.contracts import ContractsState
from strangler.ratchet.inventory import Endpoint
from strangler.ratchet.state import Snapshot, route_entry
from tests.support.move_cases import CASES, config, expected, route_id, routes, routes_yaml

ROUTE_IN = re.compile(r"route '(m\d+)'")


def kinds_of(messages: list[str]) -> dict[str, str]:
    """Route id → `expired` or `backward`, from one-line problems naming the route."""
    out = {}
    for message in messages:
        match = ROUTE_IN.search(message)
        assert match is not None, message
        out[match.group(1)] = "expired" if "expired on" in message else "backward"
    return out


def test_the_rule_itself() -> None:
    found = backward_moves(config(routes("before")), config(routes("after")))
    assert {p.route_id: p.kind for p in found} == expected()
    # A record of bare stages (no percents) is judged by stage alone.
    stages = {route["id"]: route["stage"] for route in routes("before")}
    by_stage = {p.route_id for p in backward_moves(stages, config(routes("after")))}
    percents_only = {
        route_id(i) for i, c in enumerate(CASES) if c.before["stage"] == c.after["stage"]
    }
    assert by_stage == set(expected()) - percents_only
    assert step_back(Position("canary", 50), Position("canary", 50)) is None
    assert step_back(Position("canary", 50), Position("modern")) is None
    assert "lowered from 50% to 10%" in str(
        step_back(Position("canary", 50), Position("canary", 10))
    )


def test_the_proxy_reload(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(routes_yaml(routes("before"), "http://l", "http://m"))
    table = RouteTable(load_routes(path))
    reloader = Reloader(path, current=lambda: table, apply=lambda t: None, count=lambda r: None)
    path.write_text(routes_yaml(routes("after"), "http://l", "http://m"))
    outcome = reloader.reload("test")
    assert outcome.result == "refused"
    assert kinds_of(list(outcome.problems)) == expected()


def test_strangler_check_against_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = config(routes("before"))
    lock = tmp_path / "migration.lock"
    lock.write_text(Baseline(routes={r.id: route_entry(r) for r in before.routes}).render())
    after = tmp_path / "routes.yaml"
    after.write_text(routes_yaml(routes("after"), "http://l", "http://m"))
    assert main(["check", str(after)]) == 1  # the lock beside the file is found
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if re.match(rf"{re.escape(str(after))}:\d", line)]
    assert all(re.match(rf"{re.escape(str(after))}:\d+: route 'm\d+'", p) for p in problems)
    assert err.splitlines()[-1] == f"{after}: {len(expected())} problems against {lock}"
    assert kinds_of(problems) == expected()
    assert "warning:" in err and "its rollback expired on 2020-01-01" in err  # the leftover one
    # Only the accepted moves: the check passes, as the proxy would apply the file.
    fine = {i for i, case in enumerate(CASES) if case.expected is None}
    after.write_text(routes_yaml(routes("after", only=fine), "http://l", "http://m"))
    assert main(["check", str(after), "--lock", str(lock)]) == 0
    assert "against " in capsys.readouterr().out


def _snapshot(table: list[dict[str, object]], *, retired_before: set[str]) -> Snapshot:
    """The routes, and a legacy that serves each endpoint not retired (a route rolled
    back from retired to modern stays without it: legacy removed it at retirement)."""
    built = config(table).routes
    legacy = tuple(
        Endpoint.of("GET", r.path)
        for r in built
        if r.stage != "retired" and not (r.stage == "modern" and r.id in retired_before)
    )
    state = ContractsState(counted=(), exceptions=frozenset(), broken=())
    return Snapshot(routes=tuple(built), legacy=legacy, contracts=state)


def test_the_ratchet() -> None:
    retired = {route_id(i) for i, c in enumerate(CASES) if c.before["stage"] == "retired"}
    before = _snapshot(routes("before"), retired_before=set())
    baseline = compare(before, None, today=today_utc()).proposed
    outcome = compare(_snapshot(routes("after"), retired_before=retired), baseline,
                      today=today_utc())  # fmt: skip
    regressions = {p.entry: p.kind for p in outcome.regressions}
    named = {"stage-regression": "backward", "expired-rollback": "expired"}
    assert {entry: named[kind] for entry, kind in regressions.items()} == expected("ratchet")
    # update would record the accepted rollbacks with the position each route owes.
    lowered = route_id(
        next(i for i, c in enumerate(CASES) if c.name.startswith("lowering a canary to 1"))
    )
    assert outcome.proposed.rollbacks[lowered].line().endswith("from canary 50")
