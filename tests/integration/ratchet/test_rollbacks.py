"""Going back through the whole ratchet, on a scratch repository with a real legacy app:
a lowered canary needs a reason; a retired route comes back to modern, or to legacy
with its endpoint restored, once it has one."""

from __future__ import annotations

from tests.integration.ratchet.scratch import DEFAULT_ENDPOINTS as ENDPOINTS
from tests.integration.ratchet.scratch import ScratchRepo

WITHOUT_ITEMS = [e for e in ENDPOINTS if e != ("GET", "/api/items")]
REASON = {"reason": "modern loses items under load", "expires": "2099-12-31"}


def test_lowering_a_canary_needs_a_reason_naming_the_route(repo: ScratchRepo) -> None:
    repo.set_route("create-item", canary={"percent": 50})
    assert repo.update().code == 0
    assert "route create-item POST /api/items canary 50" in repo.baseline.read_text()
    repo.set_route("create-item", canary={"percent": 10})
    repo.check().expect(1, "route 'create-item' canary percent lowered from 50% to 10%")
    assert repo.update().code == 1  # update refuses it too
    repo.set_route("create-item", rollback=REASON)
    assert repo.update().code == 0
    assert "rollback create-item 2099-12-31 from canary 50" in repo.baseline.read_text()
    assert repo.check().code == 0


def test_a_retired_route_rolls_back_to_modern_and_to_legacy_with_a_reason(
    repo: ScratchRepo,
) -> None:
    repo.write_app(WITHOUT_ITEMS)
    repo.set_route("list-items", stage="retired")
    assert repo.update().code == 0
    assert repo.check().code == 0

    repo.set_route("list-items", stage="modern")
    assert "[stage-regression]" in repo.check().out  # without a reason: a step back
    repo.set_route("list-items", rollback=REASON)
    result = repo.check()
    assert "[stage-regression]" not in result.out and "[orphan-route]" not in result.out
    assert repo.update().code == 0
    assert repo.check().code == 0

    repo.write_app(ENDPOINTS)  # legacy's endpoint restored, the route back at legacy
    repo.set_route("list-items", stage="legacy")
    result = repo.check()
    assert "[new-endpoint]" not in result.out and "[stage-regression]" not in result.out
    assert repo.update().code == 0
    assert "rollback list-items 2099-12-31 from retired" in repo.baseline.read_text()
    assert repo.check().code == 0
