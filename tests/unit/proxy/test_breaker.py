"""The circuit breaker: opens on consecutive failures, half-opens for one probe, closes on
an answer; and its routes.yaml settings (with the fallback budget they work beside)."""

from __future__ import annotations

import pytest

from proxy.breaker import Breaker
from proxy.config import ConfigError, parse_routes
from proxy.config.resilience import (
    DEFAULT_BREAKER_COOLDOWN,
    DEFAULT_BREAKER_FAILURES,
    DEFAULT_HEALTH_PATH,
    BreakerSettings,
)
from tests.unit.proxy.samples import ROUTES_HEAD


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(failures: int = 3, cooldown: float = 5.0) -> tuple[Breaker, Clock]:
    clock = Clock()
    return Breaker(BreakerSettings(failures=failures, cooldown=cooldown), "modern", clock), clock


def fail(b: Breaker, times: int) -> None:
    for _ in range(times):
        assert b.allow()
        b.failed()


def test_it_opens_only_after_consecutive_failures() -> None:
    b, _ = breaker(failures=3)
    fail(b, 2)
    assert b.allow()
    b.succeeded()  # an answer in between starts the count again
    fail(b, 2)
    assert b.state == "closed"
    fail(b, 1)
    assert b.state == "open" and b.times_opened == 1
    assert not b.allow() and not b.allow()
    assert b.refused == 2


def test_after_the_cooldown_exactly_one_probe_goes_through() -> None:
    b, clock = breaker(failures=1, cooldown=5.0)
    fail(b, 1)
    clock.now += 4.9
    assert not b.allow() and b.retry_in() == pytest.approx(0.1)
    clock.now += 0.1
    assert b.state == "half_open"
    assert b.allow()  # the probe
    assert not b.allow()  # everyone else while it is in flight
    b.succeeded()
    assert b.state == "closed" and b.allow()


def test_a_failed_probe_opens_it_for_another_cooldown() -> None:
    b, clock = breaker(failures=2, cooldown=5.0)
    fail(b, 2)
    clock.now += 5.0
    assert b.allow()
    b.failed()
    assert b.state == "open" and b.times_opened == 2
    clock.now += 4.0
    assert not b.allow()
    clock.now += 1.0
    assert b.allow()


def test_an_abandoned_probe_lets_the_next_request_probe() -> None:
    b, clock = breaker(failures=1, cooldown=1.0)
    fail(b, 1)
    clock.now += 1.0
    assert b.allow()
    b.abandoned()  # the client left: nothing learned about the upstream
    assert b.state == "half_open"
    assert b.allow()


def test_zero_failures_turns_it_off() -> None:
    b, _ = breaker(failures=0)
    fail(b, 50)
    assert b.state == "closed" and b.allow()


def test_its_json_shows_the_state_and_counts() -> None:
    b, _ = breaker(failures=1, cooldown=2.0)
    fail(b, 1)
    assert b.allow() is False
    shown = b.as_json()
    assert shown["state"] == "open" and shown["retry_in_s"] == 2.0
    assert shown["times_opened"] == 1 and shown["refused"] == 1


def test_upstreams_get_breaker_and_health_defaults_and_may_set_them() -> None:
    config = parse_routes(
        ROUTES_HEAD.replace(
            'modern: {url: "http://127.0.0.1:8002"}',
            'modern: {url: "http://127.0.0.1:8002", breaker: {failures: 2, cooldown: 0.5},'
            " health: {path: /ping, timeout: 0.2}}",
        )
        + "  - {id: a, path: /a, stage: modern, fallback: legacy, fallback_budget: 0.3}\n",
        source="routes.yaml",
    ).config
    legacy, modern = config.upstreams["legacy"], config.upstreams["modern"]
    assert (legacy.breaker.failures, legacy.breaker.cooldown) == (
        DEFAULT_BREAKER_FAILURES,
        DEFAULT_BREAKER_COOLDOWN,
    )
    assert legacy.health.path == DEFAULT_HEALTH_PATH
    assert (modern.breaker.failures, modern.breaker.cooldown) == (2, 0.5)
    assert (modern.health.path, modern.health.timeout) == ("/ping", 0.2)
    assert config.routes[0].fallback_budget == 0.3


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("{id: a, path: /a, stage: modern, fallback_budget: 0.5}", "needs `fallback: legacy`"),
        ("{id: a, path: /a, stage: modern, fallback: legacy, fallback_budget: 1}", "less than 1"),
    ],
)
def test_a_fallback_budget_must_be_a_share_of_a_fallback(route: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_routes(ROUTES_HEAD + f"  - {route}\n", source="routes.yaml")
    assert expected in " ".join(caught.value.problems)


def test_a_health_path_must_be_absolute() -> None:
    text = ROUTES_HEAD.replace(
        'modern: {url: "http://127.0.0.1:8002"}',
        'modern: {url: "http://127.0.0.1:8002", health: {path: "healthz"}}',
    )
    with pytest.raises(ConfigError) as caught:
        parse_routes(text + "  - {id: a, path: /a, stage: legacy}\n", source="routes.yaml")
    assert "health.path must start with '/'" in " ".join(caught.value.problems)
