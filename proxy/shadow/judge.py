"""From a comparison to an outcome: noise learning, per-path counts, evidence.

Kept apart from the runner (which moves bytes) because this is the policy: every
difference is counted at its path, but an exchange is `mismatched` only when one of
its paths beats legacy's own noise (`noise.is_reported`); samples are kept for the
reported paths only, so the evidence shows what needs fixing rather than noise.
"""

from __future__ import annotations

from collections.abc import Mapping

from proxy.config import Route
from proxy.exchange import CapturedRequest
from proxy.shadow.compare import Verdict
from proxy.shadow.diff import Difference
from proxy.shadow.evidence import EvidenceStore, make_sample
from proxy.shadow.noise import NOISE_SAMPLES, diff_field, is_reported, noise_field
from proxy.shadow.outcomes import OutcomeStore
from proxy.shadow.windows import Windows

__all__ = ["SAMPLES_PER_EXCHANGE", "Judge"]

SAMPLES_PER_EXCHANGE = 3  # per path: a few concrete indexes are evidence enough


class Judge:
    """Records verdicts into the outcome counters (lifetime and the route's evidence
    window) and the evidence reservoirs. Noise is judged on lifetime counts: it is
    legacy's own behaviour, which a new window does not change."""

    def __init__(self, outcomes: OutcomeStore, evidence: EvidenceStore, windows: Windows) -> None:
        self._outcomes = outcomes
        self._evidence = evidence
        self._windows = windows

    def count(self, route: Route, field: str, amount: int = 1) -> None:
        """Count in the lifetime totals and in the route's current evidence window."""
        self._outcomes.count(route.id, field, amount)
        self._windows.count(route, field, amount)

    def _by_path(self, route_id: str, diffs: list[Difference]) -> dict[str, list[Difference]]:
        grouped: dict[str, list[Difference]] = {}
        for diff in diffs:
            grouped.setdefault(self._outcomes.bounded_path(route_id, diff.path), []).append(diff)
        return grouped

    def learn_noise(self, route: Route, verdict: Verdict) -> None:
        """Count one legacy-vs-legacy comparison and the paths that differed in it."""
        self._outcomes.count(route.id, NOISE_SAMPLES)
        for path in self._by_path(route.id, verdict.differences):
            self._outcomes.count(route.id, noise_field(path))

    def reports(self, route: Route, verdict: Verdict) -> bool:
        """Whether `judge` would call this verdict `mismatched` now (nothing is counted:
        its differences are added to a copy of the counts, as `judge` adds them)."""
        if verdict.intended or not verdict.differences:
            return False
        by_path = self._by_path(route.id, verdict.differences)
        counts = dict(self._outcomes.counts(route.id))
        for path in by_path:
            counts[diff_field(path)] = counts.get(diff_field(path), 0) + 1
        return bool(self._reported(route, by_path, counts))

    def _reported(
        self, route: Route, by_path: dict[str, list[Difference]], counts: Mapping[str, int]
    ) -> list[str]:
        """The paths of `by_path` that beat legacy's noise; one comparison is pending."""
        return [p for p in by_path if is_reported(p, counts, route.shadow, pending=1)]

    def judge(self, route: Route, request: CapturedRequest, verdict: Verdict) -> str:
        """Count the exchange's outcome and differences; return the outcome."""
        if verdict.intended:
            self.count(route, "intended")
            return "intended"
        by_path = self._by_path(route.id, verdict.differences)
        for path, diffs in by_path.items():
            self.count(route, diff_field(path))
            for kind in {d.kind for d in diffs}:
                self.count(route, f"kind:{kind}:{path}")
        reported = self._reported(route, by_path, self._outcomes.counts(route.id))
        outcome = "mismatched" if reported else "matched"
        self.count(route, outcome)
        keep = route.shadow.reservoir_size
        for path in reported:
            for diff in by_path[path][:SAMPLES_PER_EXCHANGE]:
                if not self._evidence.has_room(route.id, diff.path, keep):
                    break
                sample = make_sample(route.id, diff, request)
                window = self._windows.current(route.id)
                sample["window"] = window.id if window is not None else None  # which evidence
                self._evidence.add(sample, keep)
        return outcome
