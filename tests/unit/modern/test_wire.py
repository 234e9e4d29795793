"""Rendering to the wire: the standard library's bytes, cached pieces written in place."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modern.wire import Raw, dumps


def _stdlib(content: object) -> bytes:
    """What replies were before orjson: Starlette's JSONResponse encoding."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


# What a reply holds: the domain has no floats, and integers are counts and ids.
_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_LEAF = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | _TEXT
_REPLY = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, database=None)
@given(_REPLY)
def test_dumps_writes_what_the_standard_library_wrote(content: object) -> None:
    assert dumps(content) == _stdlib(content)
    piece = Raw(_stdlib(content))
    assert dumps({"piece": piece, "list": [piece]}) == _stdlib(
        {"piece": content, "list": [content]}
    )


def test_dumps_writes_raw_parts_verbatim_and_timestamps_in_the_wire_format() -> None:
    at = datetime(2026, 11, 28, 6, 26, 35, 123999, tzinfo=UTC)
    east = at.astimezone(timezone(timedelta(hours=5, minutes=30)))
    body = dumps({"a": Raw(b'[{"x":"\xc3\xa9"}]'), "b": [Raw(b"1"), at, east], "c": "é\x00"})
    stamp = '"2026-11-28T06:26:35.123Z"'
    assert body == f'{{"a":[{{"x":"é"}}],"b":[1,{stamp},{stamp}],"c":"é\\u0000"}}'.encode()
    assert dumps(Raw(b"[]")) == b"[]"
    assert dumps(at.replace(tzinfo=None)) == stamp.encode()  # naive means UTC


def test_a_raw_piece_keeps_its_bytes_and_decodes() -> None:
    piece = Raw(bytearray(b'{"n":[1,"\xe2\x9c\x93"]}'))
    assert piece.body == b'{"n":[1,"\xe2\x9c\x93"]}' and type(piece.body) is bytes
    assert len(piece) == len(piece.body) and piece.value() == {"n": [1, "✓"]}


def test_text_that_is_not_unicode_still_fails_as_before() -> None:
    # A lone surrogate (JSON `"\ud800"` in a request) cannot be UTF-8: a 500, not bytes.
    with pytest.raises((TypeError, ValueError)):
        dumps({"text": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        _stdlib({"text": "\ud800"})
