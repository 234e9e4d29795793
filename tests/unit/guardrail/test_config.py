"""routes.yaml fields of the guardrail: defaults, YAML's on/off, autopilot's rules."""

from __future__ import annotations

import textwrap

import pytest

from proxy.config import ConfigError, parse_routes
from proxy.guardrail.positions import Position, apply, configured, ladder, next_position
from tests.unit.proxy.samples import ROUTES_HEAD


def load(routes: str):  # type: ignore[no-untyped-def]
    return parse_routes(ROUTES_HEAD + textwrap.dedent(routes)).config


def problems(routes: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(routes)
    return "\n".join(caught.value.problems)


def test_every_canary_is_guarded_by_default_and_yaml_off_means_off() -> None:
    config = load("""\
        - {id: a, path: /a, stage: canary, canary: {percent: 5}}
        - {id: b, path: /b, stage: canary, canary: {percent: 5}, guardrail: off}
        - {id: c, path: /c, stage: canary, canary: {percent: 5}, guardrail: dry-run,
           analysis: {interval: 2, min_requests: 5, max_latency_ratio: 3}}
        """)
    a, b, c = config.routes
    assert a.guardrail == "on" and a.analysis.interval == 60 and a.analysis.min_requests == 50
    assert b.guardrail == "off"
    assert c.guardrail == "dry-run" and c.analysis.interval == 2.0
    assert c.analysis.max_latency_ratio == 3.0


def test_bad_analysis_and_autopilot_settings_name_their_line() -> None:
    assert "routes.yaml:6: route 'a': analysis.max_error_rate" in problems("""\
        - {id: a, path: /a, stage: canary, canary: {percent: 5}, analysis: {max_error_rate: 2}}
        """)
    assert "autopilot.steps must increase strictly" in problems("""\
        - {id: a, path: /a, stage: shadow, autopilot: {steps: [5, 5, 50]}}
        """)
    assert "autopilot needs `guardrail: on`" in problems("""\
        - {id: a, path: /a, stage: shadow, guardrail: dry-run, autopilot: {}}
        """)
    assert "needs autopilot.key" in problems("""\
        - {id: a, path: /a, stage: shadow, autopilot: {sticky: header}}
        """)


def test_the_autopilot_ladder_and_the_route_it_serves_at_each_step() -> None:
    (route,) = load("""\
        - {id: a, path: /a, stage: shadow,
           autopilot: {steps: [1, 50], sticky: header, key: x-client}}
        """).routes
    assert [p.label for p in ladder(route)] == ["shadow", "canary 1%", "canary 50%", "modern"]
    assert next_position(route, configured(route)) == Position("canary", 1.0)
    assert next_position(route, Position("modern")) is None
    served = apply(route, Position("canary", 50.0))
    assert served.stage == "canary" and served.canary is not None
    assert (served.canary.percent, served.canary.sticky, served.canary.key) == (
        50.0,
        "header",
        "x-client",
    )
    assert apply(route, configured(route)) is route
