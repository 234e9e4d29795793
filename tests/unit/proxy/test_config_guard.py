"""Files that would hurt if applied: routes gone, an empty table, a file cut mid-line.

The same rules in every place a file replaces a table: a reload, a worker's start
(measured against the table last applied, kept in Redis, or the ratchet's lock) and
`strangler check`.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import fakeredis
import pytest

from proxy.applied import AppliedTables, lock_positions
from proxy.config import ConfigError, Position, load_routes
from proxy.reload import Reloader, first_table
from proxy.routing import RouteTable
from strangler.cli import main
from tests.unit.proxy.samples import ROUTES_HEAD

TABLE = ROUTES_HEAD + (
    "  - {id: a, path: /a, stage: modern}\n"
    "  - {id: b, path: /b, stage: legacy}\n"
    "  - id: c\n"
    "    path: /c\n"
    "    stage: shadow\n"
    "    timeout: 10\n"
)
CUT_AT_A_ROUTE = ROUTES_HEAD + "  - {id: a, path: /a, stage: modern}\n"
CUT_MID_LINE = TABLE[: TABLE.index("timeout: 1") + len("timeout: 1")]  # valid, and wrong
EMPTY = ROUTES_HEAD.replace("routes:\n", "routes: []\n")
REMOVED = CUT_AT_A_ROUTE + (
    "removed:\n"
    "  - {id: b, reason: endpoint deleted from both apps}\n"
    "  - {id: c, reason: endpoint deleted from both apps}\n"
)
BACKWARD = TABLE.replace("stage: modern", "stage: legacy")


class Holder:
    def __init__(self, path: Path) -> None:
        self.table = RouteTable(load_routes(path))
        self.reloader = Reloader(
            path, current=lambda: self.table, apply=self.install, count=lambda _: None
        )

    def install(self, table: RouteTable) -> None:
        self.table = table


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (CUT_AT_A_ROUTE, "2 routes missing: 'b' (at legacy), 'c' (at shadow)"),
        (EMPTY, "the route table is empty"),
        (CUT_MID_LINE, "does not end with a line break"),
        ("", "expected a mapping"),
    ],
    ids=["cut-at-a-route", "empty-table", "cut-mid-line", "empty-file"],
)
def test_a_file_that_loses_routes_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(TABLE)
    holder = Holder(path)
    before = holder.table
    path.write_text(text)
    outcome = holder.reloader.reload("test")
    assert outcome.result == "refused"
    assert problem in "\n".join(outcome.problems)
    assert holder.table is before
    path.write_text(TABLE)  # put back as it was: nothing left to report
    assert holder.reloader.reload("test").result == "unchanged"
    assert holder.reloader.last_failure is None


def test_a_route_leaves_with_a_reason_and_the_refusal_is_then_cleared(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(TABLE)
    holder = Holder(path)
    path.write_text(CUT_AT_A_ROUTE)
    assert holder.reloader.reload("test").result == "refused"
    assert holder.reloader.last_failure is not None
    path.write_text(REMOVED)
    assert holder.reloader.reload("test").result == "applied"
    assert [route.id for route in holder.table.config.routes] == ["a"]
    assert holder.reloader.last_failure is None  # the refused file is history now
    # the next file need not keep the entries: the table in force no longer has b, c
    path.write_text(CUT_AT_A_ROUTE + "  - {id: d, path: /d, stage: legacy}\n")
    assert holder.reloader.reload("test").result == "applied"


def test_a_route_cannot_be_both_listed_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(TABLE + "removed:\n  - {id: b, reason: gone for good}\n")
    with pytest.raises(ConfigError, match="'b' still listed under routes"):
        load_routes(path)


def store_with(text: str | None) -> AppliedTables:
    store = AppliedTables(fakeredis.FakeAsyncRedis(), "t:")
    if text is not None:
        store.remember(text, "whatever")
    return store


def test_a_starting_worker_measures_the_file_against_the_last_applied_table(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        path = tmp_path / "routes.yaml"
        store = store_with(TABLE)
        await asyncio.sleep(0.05)  # the record is written from the background
        assert (await store.last() or ("", ""))[0] == TABLE

        path.write_text(BACKWARD)
        loaded, refused = await first_table(path, store=store, lock=None)
        assert loaded.config.route("a").stage == "modern"  # type: ignore[union-attr]
        assert refused is not None
        assert "moved back from modern to legacy" in refused.problems[0]

        path.write_text(TABLE.replace("stage: shadow", "stage: modern"))
        loaded, refused = await first_table(path, store=store, lock=None)
        assert refused is None and loaded.config.route("c").stage == "modern"  # type: ignore[union-attr]
        await asyncio.sleep(0.05)
        assert (await store.last() or ("", ""))[1] == loaded.revision  # the new baseline
        await store.close()

    asyncio.run(scenario())


def test_without_a_record_the_lock_is_the_baseline_and_nothing_else_is_served(
    tmp_path: Path,
) -> None:
    lock = tmp_path / "migration.lock"
    lock.write_text(
        "# generated\nroute a GET /a modern\nroute b GET /b legacy\nlegacy GET /b\n"
        "route c GET /c shadow\n"
    )
    assert lock_positions(lock) == {
        "a": Position("modern"),
        "b": Position("legacy"),
        "c": Position("shadow"),
    }
    with_canary = tmp_path / "canary.lock"
    with_canary.write_text("route d GET /d canary 25\n")
    assert lock_positions(with_canary) == {"d": Position("canary", 25.0)}
    path = tmp_path / "routes.yaml"

    async def start() -> object:
        return await first_table(path, store=store_with(None), lock=lock)

    path.write_text(BACKWARD)
    with pytest.raises(ConfigError, match="moved back from modern to legacy"):
        asyncio.run(start())
    path.write_text(CUT_AT_A_ROUTE)
    with pytest.raises(ConfigError, match="2 routes missing"):
        asyncio.run(start())
    path.write_text(TABLE)
    asyncio.run(start())
    os.remove(lock)  # no lock, no record: only the file's own rules
    path.write_text(BACKWARD)
    asyncio.run(start())


def test_check_applies_the_same_rules_against_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRANGLER_LOCK", raising=False)
    path = tmp_path / "routes.yaml"
    (tmp_path / "migration.lock").write_text("route a GET /a modern\nroute b GET /b legacy\n")
    path.write_text(CUT_AT_A_ROUTE)
    assert main(["check", str(path)]) == 1
    assert "1 route missing: 'b' (at legacy)" in capsys.readouterr().err
    path.write_text(CUT_MID_LINE)
    assert main(["check", str(path)]) == 1
    assert "does not end with a line break" in capsys.readouterr().err
    path.write_text(TABLE)
    assert main(["check", str(path)]) == 0
