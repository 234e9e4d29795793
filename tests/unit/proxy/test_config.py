"""routes.yaml validation: every problem names its file, line and route."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from proxy.config import ConfigError, backward_moves, load_routes, parse_routes
from tests.unit.proxy.samples import ROUTES_HEAD


def problems_of(routes: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_routes(ROUTES_HEAD + textwrap.dedent(routes), source="routes.yaml")
    return caught.value.problems


def test_a_typo_in_a_key_names_the_file_line_and_route() -> None:
    problems = problems_of(
        """\
        - id: list-rooms
          path: /api/rooms
          stage: legacy
        - id: get-room
          path: /api/rooms/{room_id}
          stgae: modern
        """
    )
    assert any(p.startswith("routes.yaml:9: route 'get-room': ") for p in problems), problems
    assert any("stgae" in p for p in problems)


def test_an_unknown_stage_is_refused_with_its_line() -> None:
    problems = problems_of(
        """\
        - id: list-rooms
          path: /api/rooms
          stage: finished
        """
    )
    assert len(problems) == 1
    assert problems[0].startswith("routes.yaml:8: route 'list-rooms': stage")


def test_overlapping_templates_are_refused() -> None:
    problems = problems_of(
        """\
        - id: get-room
          path: /api/rooms/{room_id}
          stage: legacy
        - id: get-room-again
          path: /api/rooms/{id}
          stage: modern
        """
    )
    assert problems == [
        "routes.yaml:9: route 'get-room-again': overlaps route 'get-room': "
        "'/api/rooms/{id}' and '/api/rooms/{room_id}' match the same requests"
    ]


def test_same_shape_with_disjoint_methods_is_allowed() -> None:
    loaded = parse_routes(
        ROUTES_HEAD
        + textwrap.dedent(
            """\
            - id: list-rooms
              path: /api/rooms
              stage: legacy
            - id: create-room
              methods: [POST]
              path: /api/rooms
              stage: modern
            """
        )
    )
    assert [r.id for r in loaded.config.routes] == ["list-rooms", "create-room"]


def test_a_canary_needs_its_rule_and_a_key_name_for_cookies() -> None:
    assert "stage canary needs" in " ".join(problems_of("- {id: a, path: /a, stage: canary}\n"))
    assert "needs canary.key" in " ".join(
        problems_of("- {id: a, path: /a, stage: canary, canary: {percent: 5, sticky: cookie}}\n")
    )


def test_shadowing_a_write_without_an_isolated_upstream_is_refused() -> None:
    problems = problems_of("- {id: a, methods: [POST], path: /a, stage: shadow}\n")
    assert "would write twice" in problems[0]


def test_invalid_yaml_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(ROUTES_HEAD + "  - id: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_routes(path)
    assert caught.value.problems[0].startswith(f"{path}:")
    assert "invalid YAML" in caught.value.problems[0]


def test_backward_moves_need_a_rollback_reason() -> None:
    old = parse_routes(ROUTES_HEAD + "  - {id: a, path: /a, stage: modern}\n").config
    back = parse_routes(ROUTES_HEAD + "  - {id: a, path: /a, stage: legacy}\n").config
    rolled = parse_routes(
        ROUTES_HEAD + "  - {id: a, path: /a, stage: legacy, rollback: {reason: 'p99 regression'}}\n"
    ).config
    assert backward_moves(old, back) == [
        "route 'a': stage moved back from modern to legacy without "
        "`rollback: {reason: …, expires: …}`"
    ]
    assert backward_moves(old, rolled) == []


def test_settings_that_contradict_the_stage_are_errors_on_their_own_line() -> None:
    problems = problems_of(
        """\
        - id: a
          path: /a
          stage: modern
          canary: {percent: 5}
        - id: b
          path: /b
          stage: retired
          fallback: legacy
        """
    )
    assert problems[0].startswith("routes.yaml:9: route 'a': canary: a canary block on a route at")
    assert problems[1].startswith("routes.yaml:13: route 'b': fallback: a retired route has no")


def test_evidence_settings_are_checked_against_each_other() -> None:
    problems = problems_of(
        "- {id: a, path: /a, stage: shadow,\n"
        "   shadow: {min_comparisons: 50, recent_comparisons: 20}}\n"
    )
    assert "recent_comparisons (20) must be at least min_comparisons (50)" in problems[0]
    # Unset, the recent evidence grows with the minimum.
    route = parse_routes(
        ROUTES_HEAD + "  - {id: a, path: /a, stage: shadow, shadow: {min_comparisons: 2000}}\n"
    ).config.routes[0]
    assert route.shadow.recent_comparisons == 4000
