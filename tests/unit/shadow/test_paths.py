"""Path rules: `*` any key, `[*]` any index, folded paths."""

from __future__ import annotations

from proxy.shadow.paths import ROOT, PathRules, child_index, child_key


def test_building_paths() -> None:
    assert child_key(ROOT, "rooms") == "rooms"
    assert child_index(ROOT, "*") == "[*]"
    assert child_key(child_index(child_key(ROOT, "rooms"), "*"), "id") == "rooms[*].id"


def test_wildcards() -> None:
    rules = PathRules(["rooms[*].*", "*.bio", "[*].last_message_at"])
    assert rules.matches("rooms[*].name")
    assert not rules.matches("rooms[*].members[*].id")
    assert rules.matches("user.bio")
    assert not rules.matches("user.profile.bio")
    assert rules.matches("[*].last_message_at")
    assert not rules.matches("last_message_at")
    assert rules.index("user.bio") == 1


def test_a_concrete_index_in_a_rule_means_any_index() -> None:
    assert PathRules(["rooms[0].name"]).matches("rooms[*].name")


def test_special_characters_are_literal() -> None:
    rules = PathRules(["a+b.c"])
    assert rules.matches("a+b.c") and not rules.matches("aab.c")
    assert not PathRules([]).matches("x") and not PathRules([])
