"""The outcome policy: noise learned from legacy-vs-legacy differences hides those paths."""

from __future__ import annotations

import fakeredis

from proxy.config import Route
from proxy.exchange import CapturedRequest
from proxy.shadow.compare import Verdict
from proxy.shadow.diff import Difference
from proxy.shadow.evidence import EvidenceStore
from proxy.shadow.judge import Judge
from proxy.shadow.outcomes import OutcomeStore
from proxy.shadow.windows import Windows

ROUTE = Route.model_validate(
    {"id": "clock", "path": "/api/clock", "stage": "shadow", "shadow": {"min_noise_samples": 10}}
)
REQUEST = CapturedRequest("clock", "GET", "/api/clock", "", {}, (), b"", "rid")


def verdict(*paths: str) -> Verdict:
    return Verdict(differences=[Difference("changed", p, p, 1, 2) for p in paths])


def judge() -> tuple[Judge, OutcomeStore, EvidenceStore]:
    client = fakeredis.FakeAsyncRedis()
    outcomes, evidence = OutcomeStore(client, "t:"), EvidenceStore(client, "t:")
    windows = Windows(client, "t:", lambda name: f"http://{name}")
    return Judge(outcomes, evidence, windows), outcomes, evidence


def test_a_field_changing_on_every_legacy_call_is_learned_as_noise() -> None:
    j, outcomes, evidence = judge()
    # While learning, the changing field is reported.
    assert j.judge(ROUTE, REQUEST, verdict("now")) == "mismatched"
    for _ in range(10):
        j.learn_noise(ROUTE, verdict("now"))  # both legacy answers differ at `now`
    assert j.judge(ROUTE, REQUEST, verdict("now")) == "matched"
    assert j.judge(ROUTE, REQUEST, verdict("now", "name")) == "mismatched"
    counts = outcomes.counts("clock")
    assert counts["noise_samples"] == 10 and counts["noise:now"] == 10
    assert counts["diff:now"] == 3 and counts["diff:name"] == 1
    assert (counts["matched"], counts["mismatched"]) == (1, 2)
    assert not evidence.has_room("clock", "name", 1)  # a sample of the real one waits


def test_intended_is_not_a_comparison_of_fields() -> None:
    j, outcomes, _ = judge()
    assert j.judge(ROUTE, REQUEST, Verdict(intended=True)) == "intended"
    assert outcomes.counts("clock") == {"intended": 1}


def test_a_clean_exchange_matches() -> None:
    j, outcomes, _ = judge()
    assert j.judge(ROUTE, REQUEST, Verdict()) == "matched"
    assert outcomes.counts("clock") == {"matched": 1}


def test_reports_foretells_the_outcome_and_counts_nothing() -> None:
    """The runner rechecks only what `judge` would call a mismatch: never learned noise."""
    j, outcomes, _ = judge()
    assert j.reports(ROUTE, verdict("now")) is True  # learning: every difference counts
    assert not j.reports(ROUTE, Verdict()) and not j.reports(ROUTE, Verdict(intended=True))
    assert outcomes.counts("clock") == {}
    for _ in range(10):
        j.learn_noise(ROUTE, verdict("now"))
    assert j.reports(ROUTE, verdict("now")) is False
    assert j.reports(ROUTE, verdict("now", "name")) is True
    for names in (("now",), ("now", "name")):
        expected = "mismatched" if j.reports(ROUTE, verdict(*names)) else "matched"
        assert j.judge(ROUTE, REQUEST, verdict(*names)) == expected
