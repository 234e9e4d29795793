"""The canary verdict: modern against legacy on the same route, over one window.

Pure: counts and thresholds in, a `Verdict` out, so each rule is tested without
Redis. The rules, in order (the first that fails names the reason):

- fewer than `min_requests` modern requests in the window: `insufficient`;
- modern's error rate above `max_error_rate`: failing;
- with at least `min_requests` legacy requests too: modern's error rate more than
  `max_error_rate_delta` above legacy's — judged on the lower end of the 95 % Wilson
  interval of modern's rate, because one stray error in 30 requests is no evidence
  that modern is worse than legacy — or modern's p95 (and, given 100 answered
  requests on each side, p99) above legacy's times `max_latency_ratio` and above it
  by more than `latency_margin_ms`: failing;
- otherwise healthy.

Latency is the time until the upstream's response head: what the backend costs,
not how fast the client downloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from proxy.config import Analysis
from proxy.guardrail.histogram import quantile
from proxy.guardrail.window import Side, WindowCounts
from proxy.statistics import wilson_lower_bound

__all__ = ["P99_MIN_SAMPLES", "Verdict", "VerdictState", "judge"]

VerdictState = Literal["healthy", "failing", "insufficient"]
P99_MIN_SAMPLES = 100
"""Below this many answered requests a p99 is one unlucky request: shown, not judged."""


@dataclass(frozen=True)
class Verdict:
    """A route's analysis result: its state, why, and the figures behind it."""

    state: VerdictState
    reason: str
    figures: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"verdict": self.state, "reason": self.reason, "figures": self.figures}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def _side_figures(side: Side) -> dict[str, object]:
    return {
        "requests": side.requests,
        "errors": side.errors,
        "error_rate": round(side.errors / side.requests, 4) if side.requests else None,
        "p95_ms": _ms(quantile(side.latency, 0.95)),
        "p99_ms": _ms(quantile(side.latency, 0.99)),
    }


def judge(counts: WindowCounts, rule: Analysis) -> Verdict:
    modern, legacy = counts.modern, counts.legacy
    figures: dict[str, object] = {
        "window_seconds": counts.seconds,
        "modern": _side_figures(modern),
        "legacy": _side_figures(legacy),
    }
    if modern.requests < rule.min_requests:
        return Verdict(
            "insufficient",
            f"{modern.requests} of {rule.min_requests} modern requests in the last "
            f"{counts.seconds:g} s",
            figures,
        )
    rate = modern.errors / modern.requests
    if rate > rule.max_error_rate:
        return Verdict(
            "failing",
            f"modern error rate {rate:.1%} > max_error_rate {rule.max_error_rate:.1%} "
            f"({modern.errors} of {modern.requests})",
            figures,
        )
    if legacy.requests < rule.min_requests:
        return Verdict(
            "healthy",
            f"modern error rate {rate:.1%}; {legacy.requests} legacy requests, too few to "
            "compare with",
            figures,
        )
    legacy_rate = legacy.errors / legacy.requests
    surely = wilson_lower_bound(modern.errors, modern.requests)
    if surely - legacy_rate > rule.max_error_rate_delta:
        return Verdict(
            "failing",
            f"modern error rate {rate:.1%} (at least {surely:.1%} at 95 % confidence) exceeds "
            f"legacy's {legacy_rate:.1%} by more than max_error_rate_delta "
            f"{rule.max_error_rate_delta:.1%}",
            figures,
        )
    checks = [("p95", 0.95)]
    answered = (
        modern.requests - modern.errors >= P99_MIN_SAMPLES
        and legacy.requests - legacy.errors >= P99_MIN_SAMPLES
    )
    if answered:
        checks.append(("p99", 0.99))
    margin = rule.latency_margin_ms / 1000
    for name, q in checks:
        mine, theirs = quantile(modern.latency, q), quantile(legacy.latency, q)
        if mine is None or theirs is None or theirs <= 0:
            continue
        ratio = mine / theirs
        figures[f"latency_ratio_{name}"] = round(ratio, 3)
        if ratio > rule.max_latency_ratio and mine - theirs > margin:
            return Verdict(
                "failing",
                f"modern {name} {mine * 1000:.1f} ms is {ratio:.2f}× legacy's "
                f"{theirs * 1000:.1f} ms (max_latency_ratio {rule.max_latency_ratio:g})",
                figures,
            )
    for name, q in (("p95", 0.95), ("p99", 0.99)):
        mine, theirs = quantile(modern.latency, q), quantile(legacy.latency, q)
        if mine is not None and theirs:
            figures.setdefault(f"latency_ratio_{name}", round(mine / theirs, 3))
    return Verdict(
        "healthy",
        f"modern error rate {rate:.1%} (legacy {legacy_rate:.1%}), p95 ratio "
        f"{figures.get('latency_ratio_p95', '-')}",
        figures,
    )
