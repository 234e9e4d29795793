"""Each regression, introduced alone into a clean scratch repository, fails the check
with a message naming the entry; its fix (or a recorded reason) makes the check pass."""

from __future__ import annotations

from tests.integration.ratchet.scratch import DEFAULT_ENDPOINTS as ENDPOINTS
from tests.integration.ratchet.scratch import ScratchRepo


def test_a_clean_repository_passes(repo: ScratchRepo) -> None:
    result = repo.check()
    assert result.code == 0, result.out
    assert "2/6 routes migrated (33%), 0 regressions" in result.out


def test_a_backward_move_without_reason_fails_and_restoring_the_stage_passes(
    repo: ScratchRepo,
) -> None:
    repo.set_route("list-items", stage="shadow")
    repo.check().expect(
        1,
        "[stage-regression] route 'list-items' stage moved back from modern to shadow "
        "without `rollback: {reason: …, expires: …}`",
    )

    repo.set_route("list-items", stage="modern")
    assert repo.check().code == 0


def test_a_backward_move_with_a_reason_is_recorded_by_update(repo: ScratchRepo) -> None:
    repo.set_route("list-items", stage="shadow", rollback={"reason": "p99 doubled in modern"})
    result = repo.check().expect(
        1, "[stale] not recorded in the baseline: route 'list-items' was rolled back"
    )  # the baseline must learn of the rollback
    assert "[stage-regression]" not in result.out

    assert repo.update().code == 0
    assert "rollback list-items - from modern" in repo.baseline.read_text()
    assert repo.check().code == 0


def test_removing_the_rollback_before_moving_forward_again_fails(repo: ScratchRepo) -> None:
    repo.set_route("list-items", stage="shadow", rollback={"reason": "p99 doubled in modern"})
    assert repo.update().code == 0
    repo.set_route("list-items", rollback=None)
    repo.check().expect(1, "route 'list-items' lost its rollback while still at shadow")

    repo.set_route("list-items", stage="modern")
    assert repo.check().code == 1  # resolved, but not yet recorded: stale
    assert repo.update().code == 0
    assert repo.check().code == 0


def test_an_expired_rollback_fails_even_once_recorded(repo: ScratchRepo) -> None:
    repo.set_route("list-items", stage="canary", canary={"percent": 5},
                   rollback={"reason": "cache bug", "expires": "2099-01-01"})  # fmt: skip
    assert repo.update().code == 0
    assert "rollback list-items 2099-01-01 from modern" in repo.baseline.read_text()
    assert repo.check().code == 0

    repo.set_route("list-items", rollback={"reason": "cache bug", "expires": "2020-01-01"})
    repo.check().expect(
        1, "[expired-rollback] the rollback of route 'list-items'", "expired on 2020-01-01"
    )
    refused = repo.update()
    assert refused.code == 1 and "refusing" in refused.err


def test_a_dropped_migrated_share_names_the_removed_route(repo: ScratchRepo) -> None:
    repo.write_app([e for e in ENDPOINTS if e != ("GET", "/healthz")])
    assert repo.update().code == 0  # legacy dropped healthz once modern served it
    repo.routes = [r for r in repo.routes if r["id"] != "healthz"]
    repo.write_routes()
    repo.check().expect(1, "[share-drop]", "1/5 routes (20%)", "removed: healthz")


def test_a_new_legacy_endpoint_fails_saying_it_belongs_in_modern(repo: ScratchRepo) -> None:
    before = repo.baseline.read_text()
    repo.write_app([*ENDPOINTS, ("PUT", "/api/items/{item_id}")])
    repo.check().expect(
        1,
        "[new-endpoint] legacy gained an endpoint: PUT /api/items/{item_id}",
        "new endpoints belong in modern",
    )

    repo.update().expect(1, "new endpoints belong in modern")
    assert repo.baseline.read_text() == before  # the regression was not recorded


def test_a_legacy_endpoint_without_a_route_fails(repo: ScratchRepo) -> None:
    repo.routes = [r for r in repo.routes if r["id"] != "delete-item"]
    repo.write_routes()
    repo.check().expect(
        1, "[unmapped-endpoint] legacy serves DELETE /api/items/{item_id} but no route"
    )


def test_a_route_matching_no_legacy_endpoint_fails_unless_modern_only(repo: ScratchRepo) -> None:
    repo.routes.append({"id": "export", "path": "/api/export", "stage": "modern"})
    repo.write_routes()
    repo.check().expect(
        1, "[orphan-route] route 'export' (GET /api/export) matches no legacy", "modern_only"
    )

    repo.set_route("export", modern_only=True)
    assert "[orphan-route]" not in repo.check().out
    assert repo.update().code == 0
    assert repo.check().code == 0


def test_a_retired_route_that_legacy_still_serves_fails(repo: ScratchRepo) -> None:
    repo.set_route("list-items", stage="retired")
    repo.check().expect(
        1, "[retired-served] route 'list-items' is retired but legacy still serves GET /api/items"
    )

    repo.write_app([e for e in ENDPOINTS if e != ("GET", "/api/items")])
    result = repo.check()
    assert "[retired-served]" not in result.out
    assert "[stale]" in result.out  # an improvement: the endpoint is gone
    assert repo.update().code == 0
    assert repo.check().code == 0


def test_dropping_an_endpoint_before_its_route_reached_modern_fails(repo: ScratchRepo) -> None:
    repo.write_app([e for e in ENDPOINTS if e != ("GET", "/api/items/{item_id}")])
    repo.check().expect(
        1,
        "[dropped-early] legacy no longer serves GET /api/items/{item_id}",
        "route 'get-item' is still at shadow",
    )

    repo.set_route("get-item", stage="modern")
    assert repo.update().code == 0
    assert repo.check().code == 0


def test_a_broken_layering_contract_fails_naming_it(repo: ScratchRepo) -> None:
    repo.write_modern(repositories_import_api=True)
    repo.check().expect(
        1,
        "[broken-contract] contract 'modern-layers' (modern is layered) is broken",
        f"{repo.modern}.repositories -> {repo.modern}.api",
    )

    repo.write_modern(repositories_import_api=False)
    assert repo.check().code == 0


def test_a_new_layering_exception_fails_and_a_removed_one_is_stale(repo: ScratchRepo) -> None:
    repo.write_modern(repositories_import_api=True)
    edge = f"{repo.modern}.repositories -> {repo.modern}.api"
    repo.ignore_imports = [edge]
    repo.write_pyproject()
    result = repo.check().expect(
        1, f"[new-exception] contract 'modern-layers' gained a layering exception: {edge}"
    )
    assert "[broken-contract]" not in result.out  # tolerated, but it is a new exception
    assert repo.update().code == 1

    repo.ignore_imports = []
    repo.write_modern(repositories_import_api=False)
    repo.write_pyproject()
    assert repo.check().code == 0
