"""`ratchet history` reads the migration's progress from git, oldest commit first."""

from __future__ import annotations

import csv
import io
import json

from tests.integration.ratchet.scratch import ScratchRepo


def test_history_lists_each_commit_that_changed_routes_or_baseline(repo: ScratchRepo) -> None:
    repo.git("init", "-q", "-b", "main")
    repo.git("add", "routes.yaml", "migration.lock")
    repo.git("commit", "-q", "-m", "start")
    repo.set_route("get-item", stage="modern")
    repo.git("commit", "-q", "-am", "get-item to modern")
    (repo.root / "notes.txt").write_text("unrelated\n")
    repo.git("add", "notes.txt")
    repo.git("commit", "-q", "-m", "unrelated change")
    repo.set_route("delete-item", stage="modern")
    assert repo.update().code == 0
    repo.git("commit", "-q", "-am", "delete-item to modern")

    result = repo.run("history")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [row["migrated"] for row in rows] == ["2", "3", "4"]
    assert [row["percent_migrated"] for row in rows] == ["33.3", "50.0", "66.7"]
    assert rows[0]["shadow"] == "1" and rows[1]["shadow"] == "0"
    assert all(row["source"] == "routes.yaml" for row in rows)

    as_json = json.loads(repo.run("history", "--format", "json").out)
    assert [point["migrated"] for point in as_json] == [2, 3, 4]
    assert as_json[-1]["by_stage"]["modern"] == 4


def test_history_outside_a_git_repository_is_a_config_error(repo: ScratchRepo) -> None:
    result = repo.run("history")
    assert result.code == 2
    assert "git log" in result.err
