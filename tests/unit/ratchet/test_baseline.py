"""The baseline file: stable text, a faithful round trip, and errors with a line number."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from proxy.applied import lock_positions
from proxy.config import Position
from strangler.ratchet.baseline import HEADER, Baseline, RollbackEntry, RouteEntry, parse_baseline
from strangler.ratchet.contracts import LayeringException
from strangler.ratchet.inventory import Endpoint
from strangler.ratchet.settings import RatchetConfigError

BASELINE = Baseline(
    routes={
        "rooms": RouteEntry("rooms", ("GET",), "/api/rooms", "modern"),
        "post": RouteEntry("post", ("POST",), "/api/rooms/{room_id}/messages", "canary"),
        "socket": RouteEntry("socket", ("WS",), "/ws/rooms/{room_id}", "legacy"),
    },
    legacy=frozenset(
        {Endpoint.of("POST", "/api/rooms/{room_id}/messages"), Endpoint.of("GET", "/api/rooms")}
    ),
    exceptions=frozenset({LayeringException("layers", "m.api.x", "m.repositories.y")}),
    rollbacks={"post": RollbackEntry("post", date(2026, 12, 1), "modern")},
)


def test_render_is_sorted_one_line_per_entry_under_the_header() -> None:
    text = BASELINE.render()
    assert text.startswith(HEADER)
    assert text.removeprefix(HEADER).splitlines() == [
        "route post POST /api/rooms/{room_id}/messages canary",
        "route rooms GET /api/rooms modern",
        "route socket WS /ws/rooms/{room_id} legacy",
        "legacy GET /api/rooms",
        "legacy POST /api/rooms/{room_id}/messages",
        "exception layers m.api.x -> m.repositories.y",
        "rollback post 2026-12-01 from modern",
    ]


def test_parse_round_trips() -> None:
    parsed = parse_baseline(BASELINE.render())
    assert parsed == BASELINE
    assert parsed.render() == BASELINE.render()
    assert parsed.migrated == 1


def test_a_rollback_without_expiry_is_a_dash() -> None:
    entry = RollbackEntry("post", None, "shadow")
    assert entry.line() == "rollback post - from shadow"
    assert parse_baseline(entry.line()).rollbacks["post"] == entry


@pytest.mark.parametrize(
    "line",
    ["route rooms GET /api/rooms sideways", "legacy GET", "exception c a => b",
     "rollback post someday from modern", "endpoint GET /x"],
)  # fmt: skip
def test_an_unreadable_line_names_file_and_line(line: str) -> None:
    with pytest.raises(RatchetConfigError) as caught:
        parse_baseline(HEADER + "route a GET /a legacy\n" + line + "\n", source="m.lock")
    assert str(caught.value).startswith("m.lock:5: cannot read")
    assert "strangler ratchet update" in str(caught.value)


def test_the_proxy_reads_the_positions_the_ratchet_writes(tmp_path: Path) -> None:
    """The proxy may not import the ratchet, so it reads the lock's route lines itself
    (`proxy.applied.lock_positions`): both readers must agree on what the writer wrote."""
    routes = {**BASELINE.routes, "half": RouteEntry("half", ("GET",), "/half", "canary", 12.5)}
    lock = tmp_path / "migration.lock"
    lock.write_text(replace(BASELINE, routes=routes).render())
    assert lock_positions(lock) == {key: entry.position for key, entry in routes.items()}
    assert lock_positions(lock)["half"] == Position("canary", 12.5)
