"""Rendered views: splicing Raw JSON, the view cache's fill and drop rules."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from modern import wire
from modern.services.views import (
    ROOM_ORDER,
    SEARCH,
    USERS,
    Views,
    home_group,
    room_group,
    stamp,
)
from modern.wire import Raw, dumps


class DictViews:
    """A ViewCache over a dict of groups, recording what was dropped."""

    enabled = True

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, bytes]] = {}
        self.dropped: list[str] = []

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[bytes | None]:
        return [self.groups.get(group, {}).get(field) for group, field in keys]

    def put_many(self, values: Mapping[tuple[str, str], bytes]) -> None:
        for (group, field), raw in values.items():
            self.groups.setdefault(group, {})[field] = raw

    def drop(self, groups: Iterable[str]) -> None:
        for group in groups:
            self.dropped.append(group)
            self.groups.pop(group, None)


def test_dumps_splices_raw_parts_verbatim() -> None:
    at = datetime(2026, 11, 28, 6, 26, 35, 123000, tzinfo=UTC)
    body = dumps({"a": Raw(b'[{"x":"\xc3\xa9"}]'), "b": [Raw(b"1"), at], "c": "é"})
    assert body == '{"a":[{"x":"é"}],"b":[1,"2026-11-28T06:26:35.123Z"],"c":"é"}'.encode()
    assert dumps(Raw(b"[]")) == b"[]"


def test_user_text_cannot_forge_a_splice_marker() -> None:
    forged = "\x00raw-" + "0" * 16 + "-0"  # the marker's shape without the process secret
    assert forged != wire._MARK + "0"
    body = dumps({"text": forged, "raw": Raw(b"true")})
    assert json.loads(body) == {"text": forged, "raw": True}


def test_paged_renders_once_then_serves_the_bytes() -> None:
    cache = DictViews()
    views = Views(cache)
    calls: list[int] = []

    def load() -> tuple[Any, str | None]:
        calls.append(1)
        return [{"id": "m1"}], "next-cursor"

    for _ in range(2):
        page, cursor = views.paged(("room:r", "history:-:50:"), load)
        assert isinstance(page, Raw) and page.value() == [{"id": "m1"}]
        assert cursor == "next-cursor"
    assert len(calls) == 1


def test_rendered_builds_only_the_missing_positions() -> None:
    views = Views(DictViews())
    keys = [("room:a", "summary:-"), ("room:b", "summary:-")]
    views.put_many({keys[0]: b'{"id":"a"}'})
    built: list[list[int]] = []

    def build(missing: list[int]) -> dict[int, Any]:
        built.append(missing)
        return {i: {"id": "b"} for i in missing}

    assert [raw.value() for raw in views.rendered(keys, build)] == [{"id": "a"}, {"id": "b"}]
    assert built == [[1]]


def test_without_a_cache_services_get_plain_values() -> None:
    views = Views()
    assert views.paged(("search", "x"), lambda: ({"users": []}, None)) == ({"users": []}, None)
    assert views.rendered([("room:a", "plain:-")], lambda m: {0: {"id": "a"}}) == [{"id": "a"}]


def test_each_write_drops_the_groups_it_changes() -> None:
    cache = DictViews()
    views = Views(cache)
    room: Any = {"id": "r1", "member_ids": ["u1", "u2"]}
    views.message_posted(room)
    assert cache.dropped == [room_group("r1"), ROOM_ORDER, home_group("u1"), home_group("u2")]
    cache.dropped.clear()
    views.message_changed("r1")
    views.membership_changed("r1", "u3")
    views.room_created("u1")
    views.profile_changed(["r1", "r2"])
    views.user_registered()
    assert cache.dropped == [
        room_group("r1"),
        room_group("r1"), home_group("u3"),
        ROOM_ORDER, home_group("u1"), SEARCH,
        SEARCH, USERS, room_group("r1"), room_group("r2"),
        SEARCH, USERS,
    ]  # fmt: skip


def test_stamp_is_milliseconds_or_dash() -> None:
    assert stamp(None) == "-"
    assert stamp(datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)) == "1500"
