"""The canary verdict: each rule on hand-made windows (no Redis)."""

from __future__ import annotations

from proxy.config import Analysis
from proxy.guardrail import judge
from proxy.guardrail.histogram import bucket_of, quantile
from proxy.guardrail.window import Side, WindowCounts

RULE = Analysis(interval=10.0, min_requests=20)


def side(requests: int, errors: int = 0, seconds: float = 0.010) -> Side:
    """`requests` attempts, `errors` of them failed, the rest answered in `seconds`."""
    return Side(
        requests, errors, {bucket_of(seconds): requests - errors} if requests > errors else {}
    )


def test_too_few_modern_requests_is_no_verdict_at_all() -> None:
    verdict = judge(WindowCounts(10.0, legacy=side(500), modern=side(19, 19)), RULE)
    assert verdict.state == "insufficient"
    assert verdict.reason.startswith("19 of 20 modern requests")


def test_an_error_rate_over_the_maximum_fails_and_names_its_figures() -> None:
    verdict = judge(WindowCounts(10.0, legacy=side(100), modern=side(100, 20)), RULE)
    assert verdict.state == "failing"
    assert "max_error_rate" in verdict.reason and "20 of 100" in verdict.reason
    assert verdict.figures["modern"]["error_rate"] == 0.2  # type: ignore[index]


def test_one_stray_error_is_no_evidence_against_modern_but_a_sure_gap_is() -> None:
    rule = Analysis(min_requests=20, max_error_rate=0.5, max_error_rate_delta=0.02)
    stray = judge(WindowCounts(10.0, legacy=side(30), modern=side(30, 1)), rule)
    assert stray.state == "healthy", stray.reason
    sure = judge(WindowCounts(10.0, legacy=side(400), modern=side(400, 40)), rule)
    assert sure.state == "failing" and "max_error_rate_delta" in sure.reason


def test_a_slower_p95_fails_only_beyond_both_the_ratio_and_the_margin() -> None:
    slow = judge(WindowCounts(10.0, legacy=side(50, 0, 0.010), modern=side(50, 0, 0.030)), RULE)
    assert slow.state == "failing" and "p95" in slow.reason
    assert 2.5 < slow.figures["latency_ratio_p95"] < 3.5  # type: ignore[operator]
    tiny = judge(WindowCounts(10.0, legacy=side(50, 0, 0.001), modern=side(50, 0, 0.004)), RULE)
    assert tiny.state == "healthy", "3 ms slower is within the 10 ms margin"


def test_p99_is_judged_only_with_a_hundred_answers_on_each_side() -> None:
    def window(n: int) -> WindowCounts:
        modern = side(n, 0, 0.010)
        modern.latency[bucket_of(0.200)] = n // 50  # a slow tail: 2 %
        modern.latency[bucket_of(0.010)] -= n // 50
        return WindowCounts(10.0, legacy=side(n, 0, 0.010), modern=modern)

    assert judge(window(60), RULE).state == "healthy"
    judged = judge(window(200), RULE)
    assert judged.state == "failing" and "p99" in judged.reason


def test_quantiles_of_the_fine_histogram_are_close_to_the_truth() -> None:
    counts: dict[int, int] = {}
    for ms in range(1, 101):
        counts[bucket_of(ms / 1000)] = counts.get(bucket_of(ms / 1000), 0) + 1
    p95 = quantile(counts, 0.95)
    assert p95 is not None and abs(p95 - 0.095) / 0.095 < 0.1
    assert quantile({}, 0.95) is None
