"""Writing the effective state back: targeted edits that keep the file's own shape."""

from __future__ import annotations

from datetime import date

import pytest

from proxy.guardrail.positions import Position
from proxy.guardrail.writeback import Move, WritebackError, moves_from_status, rewrite
from tests.unit.proxy.samples import ROUTES_HEAD

TEXT = (
    ROUTES_HEAD
    + """\
  # the search box
  - {id: search, path: /search, stage: shadow, autopilot: {steps: [10, 50], sticky: ip}}
  - id: feed            # the home feed
    path: /feed
    stage: canary
    canary:
      percent: 5
      sticky: user
    fallback: legacy
  - id: rooms
    path: /rooms
    stage: canary   # half and half
    canary: {percent: 50, sticky: header, key: x-client}
"""
)
DAY = date(2026, 11, 28)


def test_each_move_edits_only_its_own_lines() -> None:
    moves = [
        Move("search", Position("canary", 10.0)),
        Move("feed", Position("modern")),
        Move("rooms", Position("legacy"), "guardrail: modern error rate 20.0% > 5.0%"),
    ]
    text = rewrite(TEXT, moves, today=DAY)
    assert (
        "  - {id: search, path: /search, stage: canary, autopilot: {steps: [10, 50], "
        "sticky: ip}, canary: {percent: 10, sticky: ip}}" in text
    )
    assert "    stage: modern\n    fallback: legacy\n" in text, "feed's canary block is gone"
    assert "    stage: legacy   # half and half\n" in text
    assert (
        '    rollback: {reason: "guardrail: modern error rate 20.0% > 5.0%", '
        "expires: 2026-12-12}\n" in text
    )
    assert "# the search box" in text and "# the home feed" in text


def test_a_percent_is_edited_in_place() -> None:
    text = rewrite(TEXT, [Move("feed", Position("canary", 25.0))], today=DAY)
    assert text == TEXT.replace("      percent: 5\n", "      percent: 25\n")


def test_an_unknown_route_is_refused() -> None:
    with pytest.raises(WritebackError, match=r"'gone' is not in routes\.yaml"):
        rewrite(TEXT, [Move("gone", Position("modern"))], today=DAY)


def test_moves_are_read_from_the_status_document() -> None:
    status = {"routes": [
        {"id": "a", "configured": {"stage": "shadow"}, "effective": {"stage": "canary",
         "percent": 10.0, "by": "autopilot"}},
        {"id": "b", "configured": {"stage": "canary"}, "effective": {"stage": "legacy",
         "percent": 0.0, "by": "guardrail"}, "guardrail": {"override": {"reason": "slow"}}},
        {"id": "c", "configured": {"stage": "legacy"}, "effective": {"stage": "legacy",
         "percent": 0.0, "by": "routes.yaml"}},
    ]}  # fmt: skip
    assert moves_from_status(status) == [
        Move("a", Position("canary", 10.0)),
        Move("b", Position("legacy"), "guardrail: slow"),
    ]
