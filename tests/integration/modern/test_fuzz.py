"""Malformed input everywhere: never a 500, always the error envelope.

Hypothesis throws random JSON, raw bytes, ids and query strings at every endpoint of
one running server (bounded examples, so the suite stays fast).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modern.app import create_app
from tests.integration.modern.client import Account, Api


def endpoints() -> list[tuple[str, str]]:
    """Every operation of modern's OpenAPI, each id written `{id}`; all but logout, which
    would end the fuzzer's session. Read from the app (building it connects nothing),
    so an endpoint added to modern is fuzzed without a list here to keep up."""
    paths = create_app().openapi()["paths"]
    found = {
        (method.upper(), re.sub(r"\{\w+\}", "{id}", path))
        for path, operations in paths.items()
        for method in operations
    }
    return sorted(found - {("POST", "/api/auth/logout")})


ENDPOINTS = endpoints()
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)
FIELD_NAMES = ["text", "emoji", "name", "topic", "username", "password", "display_name", "bio"]
BODIES = (
    st.dictionaries(st.sampled_from(FIELD_NAMES) | TEXT, JSON, max_size=4).map(
        lambda b: ("json", b)
    )
    | JSON.map(lambda b: ("json", b))
    | st.binary(max_size=40).map(lambda b: ("raw", b))
)
PARAMS = st.dictionaries(
    st.sampled_from(["limit", "cursor", "fields", "q"]),
    TEXT | st.integers(-5, 500).map(str),
    max_size=3,
)


@pytest.fixture(scope="module")
def target(http: httpx.Client) -> Iterator[tuple[httpx.Client, Account, list[str]]]:
    api = Api(http)
    me = api.register("fuzzer")
    room = api.room(me, "fuzz-room")
    message = api.post(me, room["id"], "fuzz")
    yield http, me, [me.id, room["id"], message["id"]]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    raw_id=TEXT | st.sampled_from(["0" * 24, "g" * 24, "", ".."]) | st.none(),
    body=BODIES,
    params=PARAMS,
)
def test_no_input_gets_a_500(
    target: tuple[httpx.Client, Account, list[str]],
    endpoint: tuple[str, str],
    raw_id: str | None,
    body: tuple[str, Any],
    params: dict[str, str],
) -> None:
    http, me, real_ids = target
    method, template = endpoint
    the_id = real_ids[len(template) % 3] if raw_id is None else raw_id
    path = template.replace("{id}", quote(the_id, safe="") or "x")
    kind, payload = body
    content = payload if kind == "raw" else httpx.Request("POST", "/", json=payload).content
    reply = http.request(
        method,
        path,
        params=params,
        content=content if method in {"POST", "PATCH"} else None,
        headers={**me.headers, "Content-Type": "application/json"},
    )
    assert reply.status_code < 500, (method, path, params, payload, reply.text)
    if reply.status_code >= 400:
        error = reply.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
        assert set(error) <= {"code", "message", "fields"}
