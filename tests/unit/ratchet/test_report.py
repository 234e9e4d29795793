"""Rendering: the headline's wording and Markdown that survives odd text."""

from __future__ import annotations

import json
from dataclasses import replace

from strangler.ratchet.baseline import Baseline
from strangler.ratchet.problems import Outcome, Problem, Summary
from strangler.ratchet.report import headline, render


def outcome(*problems: Problem, rollbacks: tuple[tuple[str, str | None, str], ...] = ()) -> Outcome:
    summary = Summary(
        routes_total=21, migrated=14,
        by_stage={"legacy": 3, "shadow": 2, "canary": 2, "modern": 12, "retired": 2},
        legacy_endpoints=21, exceptions=0, rollbacks=rollbacks,
    )  # fmt: skip
    return Outcome(summary=summary, problems=problems, proposed=Baseline())


def test_the_headline_reads_like_the_brief() -> None:
    rollbacks = (("a", "2026-12-01", "slow"), ("b", None, "bug"), ("c", "2027-01-05", "x"))
    assert headline(outcome(rollbacks=rollbacks)) == (
        "14/21 routes migrated (67%), 0 regressions, 3 rollbacks expiring on 2026-12-01, "
        "0 layering exceptions"
    )
    assert "1 rollback without expiry" in headline(outcome(rollbacks=(("b", None, "bug"),)))


def test_an_expired_rollback_is_said_to_have_expired_never_to_be_expiring() -> None:
    rollbacks = (("a", "2026-01-01", "slow"), ("c", "2027-01-05", "x"))
    base = outcome(rollbacks=rollbacks)
    expired = replace(base, summary=replace(base.summary, expired=frozenset({"a"})))
    assert "2 rollbacks, 1 expired on 2026-01-01, next expiring on 2027-01-05" in headline(expired)
    assert expired.summary.as_dict()["rollbacks"][0]["expired"] is True


def test_markdown_escapes_table_cells() -> None:
    problem = Problem("orphan-route", "a|b", "route 'a|b' matches | nothing", "fix | it")
    text = render(outcome(problem), "markdown", baseline="migration.lock")
    assert "| `a\\|b` | route 'a\\|b' matches \\| nothing | fix \\| it |" in text
    assert "#### Routes that match no legacy endpoint" in text


def test_json_of_a_clean_run_is_ok() -> None:
    document = json.loads(render(outcome(), "json", baseline="migration.lock"))
    assert document["ok"] is True and document["problems"] == []
    assert document["summary"]["percent_migrated"] == 66.7
