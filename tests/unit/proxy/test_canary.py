"""Canary math: deterministic, sticky, monotone in the percent, and about right."""

from __future__ import annotations

from hashlib import blake2b

from proxy.canary import bucket, choose_target, sticky_key
from proxy.config import CanaryRule, Route


def canary_route(percent: float, **rule: object) -> Route:
    return Route(
        id="search",
        path="/api/search",
        stage="canary",
        canary=CanaryRule(percent=percent, **rule),  # type: ignore[arg-type]
    )


def http_scope(headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, object]:
    return {"type": "http", "headers": headers or [], "client": ("10.1.2.3", 5555)}


def side(route: Route, token: str) -> str:
    return choose_target(route, http_scope(), {}, authorization=f"Bearer {token}".encode())


def test_bucket_is_the_documented_hash() -> None:
    digest = blake2b(b"search:alice").digest()
    assert bucket("search", "alice") == int.from_bytes(digest[:8], "big") % 10_000


def test_ten_thousand_users_at_ten_percent_split_ten_percent() -> None:
    route = canary_route(10)
    modern = sum(side(route, f"user-{n}") == "modern" for n in range(10_000))
    assert 850 <= modern <= 1150


def test_a_user_always_lands_on_the_same_side() -> None:
    route = canary_route(10)
    first = [side(route, f"user-{n}") for n in range(500)]
    assert first == [side(route, f"user-{n}") for n in range(500)]


def test_raising_the_percent_moves_nobody_back_to_legacy() -> None:
    at10, at20 = canary_route(10), canary_route(20)
    users = [f"user-{n}" for n in range(10_000)]
    on_modern_10 = {u for u in users if side(at10, u) == "modern"}
    on_modern_20 = {u for u in users if side(at20, u) == "modern"}
    assert on_modern_10 <= on_modern_20
    assert len(on_modern_20) > len(on_modern_10)


def test_a_request_without_its_sticky_key_is_split_by_client_address_and_counted() -> None:
    route = canary_route(50)
    told: list[tuple[str, str]] = []
    sides = {
        choose_target(
            route,
            {**http_scope(), "client": (f"10.0.{n // 250}.{n % 250}", 1)},
            {},
            missing=lambda r, then: told.append((r, then)),
        )
        for n in range(400)
    }
    assert sides == {"legacy", "modern"}  # the share still reaches modern
    assert told == [("search", "ip")] * 400
    # The same address always lands on the same side.
    scope = http_scope()
    assert len({choose_target(route, scope, {}) for _ in range(20)}) == 1


def test_strict_sends_a_request_without_its_sticky_key_to_legacy_and_counts_it() -> None:
    route = canary_route(99.99, when_missing="legacy")
    told: list[tuple[str, str]] = []
    assert choose_target(route, http_scope(), {}, missing=lambda *a: told.append(a)) == "legacy"
    assert told == [("search", "legacy")]
    # With its key, nothing is counted.
    choose_target(
        route, http_scope(), {}, authorization=b"Bearer t", missing=lambda *a: told.append(a)
    )
    assert len(told) == 1


def test_stages_other_than_canary_pick_a_fixed_side() -> None:
    for stage, expected in (("legacy", "legacy"), ("shadow", "legacy"), ("modern", "modern")):
        route = Route(id="a", path="/a", stage=stage)  # type: ignore[arg-type]
        assert choose_target(route, http_scope(), {}) == expected


def test_sticky_keys_come_from_where_the_rule_says() -> None:
    def key(rule: CanaryRule, scope: dict, params: dict[str, str], cookie: bytes | None = None):
        return sticky_key(rule, scope, params, authorization=None, cookie=cookie)

    scope = http_scope([(b"X-Tenant", b"acme"), (b"cookie", b"a=1; sid=xyz")])
    assert key(CanaryRule(percent=5, sticky="header", key="x-tenant"), scope, {}) == "acme"
    cookie_rule = CanaryRule(percent=5, sticky="cookie", key="sid")
    assert key(cookie_rule, scope, {}, cookie=b"a=1; sid=xyz") == "xyz"
    assert key(CanaryRule(percent=5, sticky="ip"), scope, {}) == "10.1.2.3"
    rule = CanaryRule(percent=5, sticky="path_param", key="room_id")
    assert key(rule, scope, {"room_id": "r1"}) == "r1"
    ws = {"type": "websocket", "headers": [], "query_string": b"token=tok-1&x=2"}
    assert key(CanaryRule(percent=5), ws, {}) == "tok-1"


def test_the_salt_splits_routes_independently() -> None:
    plain, salted = canary_route(50), canary_route(50, salt="other")
    users = [f"user-{n}" for n in range(2_000)]
    differ = sum(side(plain, u) != side(salted, u) for u in users)
    assert 800 <= differ <= 1200
