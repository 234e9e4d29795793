"""The three output forms, and one-line errors with exit code 2."""

from __future__ import annotations

import json

from tests.integration.ratchet.scratch import ScratchRepo


def test_json_is_stable_and_names_each_problem(repo: ScratchRepo) -> None:
    repo.set_route("list-items", stage="shadow")
    first, second = repo.check("--format", "json"), repo.check("--format", "json")
    assert first.code == 1 and first.out == second.out
    document = json.loads(first.out)
    assert list(document) == sorted(document)
    assert document["ok"] is False and document["regressions"] == 1
    assert document["summary"]["by_stage"]["shadow"] == 2
    assert document["summary"]["percent_migrated"] == 16.7
    problem = document["problems"][0]
    assert problem["kind"] == "stage-regression" and problem["entry"] == "list-items"
    assert "rollback" in problem["fix"]


def test_markdown_has_a_table_per_problem_kind(repo: ScratchRepo) -> None:
    repo.set_route("list-items", stage="shadow")
    repo.write_modern(repositories_import_api=True)
    result = repo.check("--format", "markdown")
    assert result.code == 1
    assert "### ❌ Migration ratchet" in result.out
    assert "#### Routes moved back to an earlier stage" in result.out
    assert "#### Broken layering contracts" in result.out
    assert result.out.count("| entry | problem | fix |") == 2
    assert "| `list-items` |" in result.out


def test_text_summary_mentions_the_next_rollback_expiry(repo: ScratchRepo) -> None:
    repo.set_route("list-items", stage="shadow",
                   rollback={"reason": "memory leak", "expires": "2099-12-01"})  # fmt: skip
    assert repo.update().code == 0
    result = repo.check()
    assert result.code == 0
    assert "1/6 routes migrated (17%), 0 regressions, 1 rollback expiring on 2099-12-01" in (
        result.out
    )


def test_a_missing_baseline_is_a_config_error(scratch: ScratchRepo) -> None:
    result = scratch.check().expect(2, "no baseline yet", "ratchet update")
    assert len(result.err.strip().splitlines()) == 1


def test_a_missing_routes_file_is_a_config_error(repo: ScratchRepo) -> None:
    (repo.root / "routes.yaml").unlink()
    result = repo.check().expect(2, "routes.yaml: cannot read")
    assert "Traceback" not in result.err


def test_an_unloadable_legacy_app_is_a_config_error(repo: ScratchRepo) -> None:
    (repo.root / repo.legacy / "app.py").write_text("import no_such_module_here\n")
    repo.check().expect(2, f"cannot load legacy app '{repo.legacy}.app:app'", "no_such_module_here")


def test_an_unknown_settings_key_is_a_config_error(repo: ScratchRepo) -> None:
    repo.write_pyproject(ratchet='legacy_ap = "x:app"\n')
    repo.check().expect(2, "unknown key(s) legacy_ap")


def test_a_corrupt_baseline_line_is_a_config_error(repo: ScratchRepo) -> None:
    repo.baseline.write_text(repo.baseline.read_text() + "route broken\n")
    repo.check().expect(2, "migration.lock:", "route broken")


def test_an_openapi_document_can_be_the_inventory(repo: ScratchRepo) -> None:
    paths = {
        "/api/items": {"get": {}, "post": {}},
        "/api/items/{id}": {"get": {}, "delete": {}, "head": {}},
        "/healthz": {"get": {}},
    }
    (repo.root / "legacy-openapi.json").write_text(json.dumps({"openapi": "3.1.0",
                                                               "paths": paths}))  # fmt: skip
    repo.write_pyproject(
        ratchet=f'legacy_openapi = "legacy-openapi.json"\nmodern_package = "{repo.modern}"\n'
    )
    # OpenAPI cannot describe WebSockets, so legacy "dropped" the socket: its route is
    # still at legacy, and that is exactly the kind of drop the ratchet must report.
    result = repo.check().expect(
        1, "[dropped-early] legacy no longer serves WS /ws/items/{item_id} but route 'item-socket'"
    )
    assert "[new-endpoint]" not in result.out  # {id} and {item_id} are the same endpoint
