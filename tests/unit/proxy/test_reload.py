"""Reload is a transaction: a bad file changes nothing but the recorded error."""

from __future__ import annotations

from pathlib import Path

from proxy.config import load_routes
from proxy.reload import Reloader
from proxy.routing import RouteTable
from tests.unit.proxy.samples import ROUTES_HEAD


class Holder:
    def __init__(self, path: Path) -> None:
        self.table = RouteTable(load_routes(path))
        self.counts: list[str] = []
        self.reloader = Reloader(
            path, current=lambda: self.table, apply=self.install, count=self.counts.append
        )

    def install(self, table: RouteTable) -> None:
        self.table = table


def test_valid_invalid_backward_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(ROUTES_HEAD + "  - {id: a, path: /a, stage: shadow}\n")
    holder = Holder(path)
    first = holder.table

    assert holder.reloader.reload("test").result == "unchanged"
    assert holder.table is first

    path.write_text(ROUTES_HEAD + "  - {id: a, path: /a, stage: modern}\n")
    applied = holder.reloader.reload("test")
    assert applied.result == "applied"
    assert holder.table.config.routes[0].stage == "modern"
    good = holder.table

    path.write_text(ROUTES_HEAD + "  - {id: a, path: /a, stage: modrn}\n")
    refused = holder.reloader.reload("test")
    assert refused.result == "refused"
    assert holder.table is good
    failure = holder.reloader.last_failure
    assert failure is not None and failure.revision == refused.revision
    assert failure.problems[0].startswith(f"{path}:6: route 'a': stage")

    path.write_text(ROUTES_HEAD + "  - {id: a, path: /a, stage: legacy}\n")
    backward = holder.reloader.reload("test")
    assert backward.result == "refused"
    assert "moved back from modern to legacy" in backward.problems[0]
    assert holder.table is good
    assert holder.counts == ["applied", "refused", "refused"]


def test_a_missing_file_keeps_the_table(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(ROUTES_HEAD + "  - {id: a, path: /a, stage: legacy}\n")
    holder = Holder(path)
    path.unlink()
    outcome = holder.reloader.reload("test")
    assert outcome.result == "refused" and "cannot read" in outcome.problems[0]
    assert holder.table.config.routes[0].id == "a"
