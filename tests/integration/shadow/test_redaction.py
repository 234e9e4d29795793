"""A mismatch sample written to real Redis carries no credential, whatever its name.

The captured request and legacy's answer are full of credential-shaped values under
names that say nothing (a JWT in `x-jwt` and in a query parameter called `next`, a
`sid=` cookie copied into a custom header, a bearer string and a random token in JSON
fields); modern (a real upstream) answers differently, so the shadow service stores a
sample. The raw Redis list is read back and searched for every secret.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
import redis.asyncio

from proxy.exchange import CapturedRequest, CapturedResponse
from tests.integration.shadow.conftest import harness

pytestmark = pytest.mark.redis

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MDEiLCJuYW1lIjoiQW5uIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
TOKEN = "Zx81_qPmA7vLr2KdT0wYbN4s"
SECRETS = (JWT[:24], JWT[-20:], TOKEN, "cookie-sid-value", "hunter2")


def test_a_stored_sample_has_credential_shaped_values_redacted(
    upstream: Callable[..., str], redis_url: str, redis_prefix: str
) -> None:
    urls = {"legacy": upstream("legacy"), "modern": upstream("modern")}
    routes = [
        {"id": "list-rooms", "path": "/api/rooms", "stage": "shadow", "shadow": {"recheck": False}}
    ]
    request = CapturedRequest(
        "list-rooms",
        "GET",
        "/api/rooms",
        f"next={JWT}&q=rooms",
        {},
        (
            ("x-jwt", JWT),
            ("x-copy", "sid=cookie-sid-value; theme=dark"),
            ("x-relay", f"Bearer {TOKEN}"),
            ("accept", "application/json"),
        ),
        b"",
        "req-redact-1",
    )
    body = {
        "rooms": [],
        "debug": {"echo": f"Bearer {TOKEN}", "copy": JWT, "opaque": TOKEN},
        "note": '{"password": "hunter2"}',
    }
    legacy = CapturedResponse(200, (), json.dumps(body).encode(), 0.01, "legacy")

    async def scenario() -> list[bytes]:
        async with harness(redis_url, redis_prefix, urls, routes) as h:
            route = h.config.route("list-rooms")
            assert route is not None
            h.sink.submit(route, request, legacy)
            await h.settle("list-rooms", lambda s: s["mismatched"] == 1)
            await h.sink.flush()
        client = redis.asyncio.Redis.from_url(redis_url)
        try:
            keys = await client.keys(f"{redis_prefix}shadow:list-rooms:evidence:*")
            return [item for key in keys for item in await client.lrange(key, 0, -1)]
        finally:
            await client.aclose()

    stored = asyncio.run(scenario())
    assert stored, "no sample was stored"
    for raw in stored:
        text = raw.decode()
        for secret in SECRETS:
            assert secret not in text
        sample = json.loads(text)
        assert sample["request"]["request_id"] == "req-redact-1"  # still traceable
        assert "q=rooms" in sample["request"]["query"]
        assert ["accept", "application/json"] in sample["request"]["headers"]
    assert any("theme=dark" in raw.decode() for raw in stored)
