"""Rendered views: the view cache's fill and drop rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from modern.readmodel.views import (
    ROOM_ORDER,
    SEARCH,
    USERS,
    Hit,
    Views,
    home_group,
    room_group,
    stamp,
)
from modern.wire import Raw


class DictViews:
    """A ViewCache over a dict of groups, recording what was dropped; the keys in
    `lapsed` read as lapsed, and `refreshes` records what was handed to `refresh`."""

    enabled = True

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, bytes]] = {}
        self.dropped: list[str] = []
        self.lapsed: set[tuple[str, str]] = set()
        self.refreshes: list[tuple[dict[tuple[str, str], bytes], Callable[..., Any]]] = []

    def lookup(self, keys: Sequence[tuple[str, str]]) -> list[Hit | None]:
        found = [self.groups.get(group, {}).get(field) for group, field in keys]
        return [
            None if raw is None else Hit(Raw(raw), b"v-" + raw, key in self.lapsed)
            for key, raw in zip(keys, found, strict=True)
        ]

    def refresh(self, lapsed: Mapping[tuple[str, str], bytes], rebuild: Callable[..., Any]) -> None:
        self.refreshes.append((dict(lapsed), rebuild))

    def put_many(self, values: Mapping[tuple[str, str], bytes]) -> None:
        for (group, field), raw in values.items():
            self.groups.setdefault(group, {})[field] = raw

    def drop(self, groups: Iterable[str]) -> None:
        for group in groups:
            self.dropped.append(group)
            self.groups.pop(group, None)


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


def test_a_lapsed_view_is_served_and_handed_to_one_background_rebuild() -> None:
    cache = DictViews()
    views = Views(cache)
    key = ("search", "50::an")
    calls: list[int] = []

    def load() -> tuple[Any, str | None]:
        calls.append(1)
        return {"n": len(calls)}, None

    assert views.paged(key, load)[0].value() == {"n": 1}
    cache.lapsed.add(key)
    page, cursor = views.paged(key, load)
    assert page.value() == {"n": 1} and cursor is None  # the lapsed copy, no wait
    assert len(calls) == 1
    ((lapsed, rebuild),) = cache.refreshes
    assert lapsed == {key: b"v-" + cache.groups["search"]["50::an"]}
    assert rebuild([key]) == {key: b'\n{"n":2}'}  # what the background job stores


def test_rendered_rebuilds_lapsed_positions_in_the_background_and_missing_ones_now() -> None:
    cache = DictViews()
    views = Views(cache)
    keys = [("room:a", "summary:-"), ("room:b", "summary:-"), ("room:c", "summary:-")]
    views.put_many({keys[0]: b'{"id":"a"}', keys[1]: b'{"id":"b"}'})
    cache.lapsed.add(keys[1])
    built: list[list[int]] = []

    def build(positions: list[int]) -> dict[int, Any]:
        built.append(positions)
        return {i: {"id": "abc"[i], "new": True} for i in positions}

    served = [raw.value() for raw in views.rendered(keys, build)]
    assert served == [{"id": "a"}, {"id": "b"}, {"id": "c", "new": True}]
    assert built == [[2]]  # only the missing one in line
    ((lapsed, rebuild),) = cache.refreshes
    assert list(lapsed) == [keys[1]]
    assert rebuild([keys[1]]) == {keys[1]: b'{"id":"b","new":true}'}
    assert built[-1] == [1]


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
