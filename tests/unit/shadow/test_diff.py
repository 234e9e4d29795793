"""The JSON differ: each difference kind, paths, list modes, unordered, tolerances, ignore."""

from __future__ import annotations

from proxy.config import CompareRules
from proxy.shadow import Difference, JsonDiffer


def differ(**rules: object) -> JsonDiffer:
    return JsonDiffer(CompareRules.model_validate(rules))


def kinds(diffs: list[Difference]) -> list[tuple[str, str]]:
    return [(d.kind, d.path) for d in diffs]


def test_equal_documents_have_no_difference() -> None:
    doc = {"a": [1, {"b": None}], "c": "x", "d": 1.5, "e": True}
    assert differ().diff(doc, {**doc}) == []


def test_changed_keeps_folded_path_and_concrete_index() -> None:
    legacy = {"rooms": [{"id": "r1", "members": [{"id": "u1", "display_name": "Ann"}]}]}
    modern = {"rooms": [{"id": "r1", "members": [{"id": "u1", "display_name": "Bob"}]}]}
    [diff] = differ().diff(legacy, modern)
    assert diff == Difference(
        "changed",
        "rooms[*].members[*].display_name",
        "rooms[0].members[0].display_name",
        "Ann",
        "Bob",
    )


def test_missing_and_extra_keys() -> None:
    diffs = differ().diff({"a": 1, "b": 2}, {"a": 1, "c": 3})
    assert kinds(diffs) == [("missing", "b"), ("extra", "c")]
    assert diffs[0].legacy == 2 and diffs[1].modern == 3


def test_type_difference_but_null_is_a_change() -> None:
    assert kinds(differ().diff({"n": 1}, {"n": "1"})) == [("type", "n")]
    assert kinds(differ().diff({"n": None}, {"n": "x"})) == [("changed", "n")]
    assert kinds(differ().diff({"n": True}, {"n": 1})) == [("type", "n")]


def test_int_and_float_of_same_value_are_equal() -> None:
    assert differ().diff({"n": 1}, {"n": 1.0}) == []


def test_root_list_items_are_bracketed_paths() -> None:
    [diff] = differ().diff([{"id": "a", "name": "x"}], [{"id": "a", "name": "y"}])
    assert (diff.path, diff.at) == ("[*].name", "[0].name")


def test_reordered_list_of_ids_is_one_order_difference() -> None:
    legacy = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    modern = [{"id": "b"}, {"id": "a"}, {"id": "c"}]
    [diff] = differ().diff(legacy, modern)
    assert (diff.kind, diff.path) == ("order", "$")
    assert diff.legacy == ["a", "b", "c"] and diff.modern == ["b", "a", "c"]


def test_dropped_item_is_missing_not_every_later_item_changed() -> None:
    legacy = [{"id": "a", "v": 1}, {"id": "b", "v": 2}, {"id": "c", "v": 3}]
    modern = [{"id": "a", "v": 1}, {"id": "c", "v": 3}]
    [diff] = differ().diff(legacy, modern)
    assert (diff.kind, diff.path, diff.at) == ("missing", "[*]", "[1]")


def test_scalar_lists_compare_by_index_with_a_length_difference() -> None:
    diffs = differ().diff({"xs": [1, 2, 3]}, {"xs": [1, 5]})
    assert kinds(diffs) == [("length", "xs"), ("changed", "xs[*]")]
    assert diffs[1].at == "xs[1]"


def test_prefix_accepts_a_head_and_rejects_a_longer_list() -> None:
    legacy = [{"id": str(i)} for i in range(5)]
    assert differ(lists="prefix").diff(legacy, legacy[:2]) == []
    assert kinds(differ(lists="prefix").diff(legacy, legacy[1:3])) == [
        ("missing", "[*]"),
        ("extra", "[*]"),
    ]
    assert ("extra", "[*]") in kinds(differ(lists="prefix").diff(legacy[:2], legacy[:3]))


def test_suffix_accepts_a_tail_with_concrete_legacy_indexes() -> None:
    legacy = [{"id": str(i), "t": i} for i in range(5)]
    modern = [{"id": "3", "t": 3}, {"id": "4", "t": 99}]
    [diff] = differ(lists="suffix").diff(legacy, modern)
    assert (diff.kind, diff.path, diff.at) == ("changed", "[*].t", "[4].t")
    assert differ(lists="suffix").diff(legacy, legacy[3:]) == []


def test_empty_bounded_page_of_a_non_empty_list_is_a_length_difference() -> None:
    assert kinds(differ(lists="prefix").diff([1, 2], [])) == [("length", "$")]


def test_subset_matches_by_id_in_any_order() -> None:
    legacy = [{"id": "a", "v": 1}, {"id": "b", "v": 2}, {"id": "c", "v": 3}]
    assert differ(lists="subset").diff(legacy, [legacy[2], legacy[0]]) == []
    diffs = differ(lists="subset").diff(legacy, [{"id": "z", "v": 0}, {"id": "b", "v": 5}])
    assert kinds(diffs) == [("extra", "[*]"), ("changed", "[*].v")]
    assert diffs[1].at == "[1].v"


def test_nested_list_rules_by_wildcard_path() -> None:
    rules = {
        "list_rules": {"rooms[*].latest_messages": "suffix", "recent_users": "prefix"},
    }
    messages = [{"id": f"m{i}"} for i in range(6)]
    users = [{"id": f"u{i}"} for i in range(12)]
    legacy = {"rooms": [{"id": "r", "latest_messages": messages}], "recent_users": users}
    modern = {"rooms": [{"id": "r", "latest_messages": messages[-3:]}], "recent_users": users[:10]}
    assert differ(**rules).diff(legacy, modern) == []
    assert ("missing", "rooms[*].latest_messages[*]") in kinds(differ().diff(legacy, modern))


def test_unordered_by_key_ignores_order_but_not_content() -> None:
    rules = {"unordered": {"members": "username"}}
    legacy = {"members": [{"username": "a", "x": 1}, {"username": "b", "x": 2}]}
    swapped = {"members": [{"username": "b", "x": 2}, {"username": "a", "x": 1}]}
    assert differ(**rules).diff(legacy, swapped) == []
    changed = {"members": [{"username": "b", "x": 3}]}
    assert kinds(differ(**rules).diff(legacy, changed)) == [
        ("missing", "members[*]"),
        ("changed", "members[*].x"),
    ]


def test_unordered_scalar_list() -> None:
    rules = {"unordered": {"member_ids": "id"}}
    assert differ(**rules).diff({"member_ids": ["a", "b"]}, {"member_ids": ["b", "a"]}) == []
    diffs = differ(**rules).diff({"member_ids": ["a", "b"]}, {"member_ids": ["b", "c"]})
    assert kinds(diffs) == [("missing", "member_ids[*]"), ("extra", "member_ids[*]")]


def test_numeric_tolerance() -> None:
    rules = {"tolerances": [{"path": "[*].score", "numeric": 0.5}]}
    assert differ(**rules).diff([{"score": 1.0}], [{"score": 1.4}]) == []
    assert kinds(differ(**rules).diff([{"score": 1.0}], [{"score": 1.6}])) == [
        ("changed", "[*].score")
    ]


def test_timestamp_tolerance() -> None:
    rules = {"tolerances": [{"path": "*.last_seen_at", "seconds": 2}]}
    legacy = {"user": {"last_seen_at": "2026-11-28T06:26:35.123Z"}}
    close = {"user": {"last_seen_at": "2026-11-28T06:26:36.900Z"}}
    far = {"user": {"last_seen_at": "2026-11-28T06:26:40.000Z"}}
    assert differ(**rules).diff(legacy, close) == []
    assert kinds(differ(**rules).diff(legacy, far)) == [("changed", "user.last_seen_at")]
    assert kinds(differ().diff(legacy, close)) == [("changed", "user.last_seen_at")]


def test_ignore_wildcards() -> None:
    legacy = {"rooms": [{"id": "r", "last_message_at": "x", "members": [{"bio": "a"}]}]}
    modern = {"rooms": [{"id": "r", "last_message_at": "y", "members": [{"bio": "b"}]}]}
    assert len(differ().diff(legacy, modern)) == 2
    assert differ(ignore=["rooms[*].last_message_at", "*[*].*[*].bio"]).diff(legacy, modern) == []
    assert differ(ignore=["rooms[*].members"]).diff(legacy, modern) != []
    assert (
        differ(ignore=["rooms[*].members", "rooms[*].last_message_at"]).diff(legacy, modern) == []
    )


def test_ignored_missing_key_is_not_reported() -> None:
    assert differ(ignore=["[*].etag"]).diff([{"etag": 1}], [{}]) == []
