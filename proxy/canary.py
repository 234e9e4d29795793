"""Which upstream serves a request: the stage, and for a canary the sticky split.

A canary hashes a sticky key (the bearer token, a cookie, a header, the client
address or a path parameter) with the route's salt into one of 10,000 buckets and
sends buckets below `basis_points` to modern. The bucket of a key never changes, so
a client stays on its side, and raising the percent only moves clients from legacy
to modern, never back.

A request without its sticky key must not quietly go nowhere: an app whose clients
send no bearer token would otherwise route 0 % to modern. By default
(`when_missing: ip`) such a request is hashed by its client address instead, the
documented next key; with `when_missing: legacy` (strict) it is served by legacy.
Either way the caller is told (`missing(route_id, then)`), so status and metrics
count requests without their key per route.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import blake2b
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from proxy.config import CanaryRule, Route
from proxy.types import Scope, Target

__all__ = ["BUCKETS", "MissingKey", "bucket", "choose_target", "sticky_key"]

BUCKETS = 10_000

MissingKey = Callable[[str, str], None]
"""Told `(route_id, then)` for each canary request without its sticky key; `then` is
`ip` (hashed by client address) or `legacy` (served by legacy)."""


def bucket(salt: str, key: str) -> int:
    """The canary bucket, 0–9999, of a sticky key."""
    digest = blake2b(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def sticky_key(
    rule: CanaryRule,
    scope: Scope,
    params: dict[str, str],
    *,
    authorization: bytes | None,
    cookie: bytes | None,
) -> str | None:
    """The value that keeps one client on one side, or None when the request has none.

    The credentials are required (None when the request has none): only `choose_target`
    calls this, and a forgotten one would silently move clients across the split.
    """
    sticky = rule.sticky
    if sticky == "user":
        if authorization and authorization[:7].lower() == b"bearer ":
            return authorization[7:].strip().decode("latin-1") or None
        if scope["type"] == "websocket":  # browsers cannot set headers on a WebSocket
            tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
            return tokens[0] if tokens else None
        return None
    if sticky == "ip":
        client = scope.get("client")
        return client[0] if client else None
    if sticky == "path_param":
        return params.get(rule.key or "")
    if sticky == "header":
        wanted = (rule.key or "").lower().encode("latin-1")
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        for name, value in headers:
            if name.lower() == wanted:
                return value.decode("latin-1")
        return None
    if cookie is None:
        return None
    try:
        jar = SimpleCookie(cookie.decode("latin-1"))
    except CookieError:
        return None
    morsel = jar.get(rule.key or "")
    return morsel.value if morsel is not None else None


def choose_target(
    route: Route,
    scope: Scope,
    params: dict[str, str],
    *,
    authorization: bytes | None = None,
    cookie: bytes | None = None,
    missing: MissingKey | None = None,
) -> Target:
    """legacy/shadow → legacy; modern/retired → modern; canary → the sticky split."""
    stage = route.stage
    if stage in ("legacy", "shadow"):
        return "legacy"
    if stage != "canary" or route.canary is None:
        return "modern"
    rule = route.canary
    points = rule.basis_points
    if points <= 0:
        return "legacy"
    key = sticky_key(rule, scope, params, authorization=authorization, cookie=cookie)
    if key is None:
        client = scope.get("client")
        if rule.sticky != "ip" and rule.when_missing == "ip" and client:
            key = f"ip:{client[0]}"  # prefixed: an address never collides with a token
        if missing is not None:
            missing(route.id, "legacy" if key is None else "ip")
        if key is None:
            return "legacy"
    return "modern" if bucket(rule.salt or route.id, key) < points else "legacy"
