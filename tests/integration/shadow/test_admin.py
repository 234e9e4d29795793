"""Runtime controls over HTTP: validated changes, shared with other workers through Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
import redis.asyncio
from starlette.applications import Starlette

from proxy.exchange import NoShadow, ShadowDeps, ShadowSink
from proxy.responses import Refused, answer_refused
from proxy.shadow import ShadowService, create_shadow, shadow_admin_routes
from tests.integration.shadow.conftest import table

pytestmark = pytest.mark.redis

URLS = {"legacy": "http://127.0.0.1:9", "modern": "http://127.0.0.1:9"}
ROUTES = [
    {"id": "list-rooms", "path": "/api/rooms", "stage": "shadow", "shadow": {"sample_rate": 0.5}},
    {"id": "home", "path": "/api/home", "stage": "legacy"},
]
CONFIG = table(ROUTES, URLS)


def deps(redis_url: str, prefix: str) -> ShadowDeps:
    return ShadowDeps(
        routes=lambda: CONFIG,
        redis=redis.asyncio.Redis.from_url(redis_url),
        key_prefix=prefix,
        session=lambda name: pytest.fail("no upstream call expected"),
        upstream_url=URLS.__getitem__,
    )


Check = Callable[[httpx.AsyncClient], Awaitable[None]]


def admin_client(sink: ShadowSink) -> httpx.AsyncClient:
    """A client of the shadow's admin routes, mounted as the admin app mounts them."""
    app = Starlette(
        routes=shadow_admin_routes(lambda: sink), exception_handlers={Refused: answer_refused}
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://admin")


def with_admin(redis_url: str, prefix: str, check: Check) -> None:
    """Run `check` against the admin routes of a started sink (in process, real Redis)."""

    async def scenario() -> None:
        sink = create_shadow(deps(redis_url, prefix))
        await sink.start()
        try:
            async with admin_client(sink) as client:
                await check(client)
        finally:
            await sink.stop()

    asyncio.run(scenario())


def test_get_shows_configured_settings(redis_url: str, redis_prefix: str) -> None:
    async def check(client: httpx.AsyncClient) -> None:
        response = await client.get("/api/routes/list-rooms/shadow")
        assert response.status_code == 200
        body = response.json()
        assert body["settings"]["sample_rate"] == 0.5 and body["settings"]["overrides"] == {}
        assert body["settings"]["timeout"] == 5.0 and body["status"]["compared"] == 0

    with_admin(redis_url, redis_prefix, check)


def test_post_overrides_and_null_clears(redis_url: str, redis_prefix: str) -> None:
    async def check(client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/routes/list-rooms/shadow",
            json={"sample_rate": 0, "concurrency": 2, "timeout": 1.5},
        )
        assert response.status_code == 200, response.text
        settings = response.json()["settings"]
        assert (settings["sample_rate"], settings["concurrency"], settings["timeout"]) == (
            0,
            2,
            1.5,
        )
        cleared = await client.post("/api/routes/list-rooms/shadow", json={"sample_rate": None})
        assert cleared.json()["settings"]["sample_rate"] == 0.5
        assert cleared.json()["settings"]["overrides"] == {"concurrency": 2.0, "timeout": 1.5}

    with_admin(redis_url, redis_prefix, check)


BAD_INPUT = [
    (b'{"sample_rate": 2}', 422, "sample_rate"),
    (b'{"concurrency": 0}', 422, "concurrency"),
    (b'{"concurrency": 1.5}', 422, "concurrency"),
    (b'{"timeout": "fast"}', 422, "timeout"),
    (b'{"sample": 1}', 422, "sample"),
    (b"not json", 400, "JSON object"),
    (b"[1]", 400, "JSON object"),
]


def test_bad_input_is_a_clear_4xx(redis_url: str, redis_prefix: str) -> None:
    async def check(client: httpx.AsyncClient) -> None:
        for body, status, needle in BAD_INPUT:
            response = await client.post("/api/routes/list-rooms/shadow", content=body)
            assert response.status_code == status, body
            assert needle in response.json()["error"]["message"], body
        unknown = await client.get("/api/routes/nope/shadow")
        assert unknown.status_code == 404 and "nope" in unknown.json()["error"]["message"]

    with_admin(redis_url, redis_prefix, check)


def test_without_a_running_sink_it_is_503() -> None:
    async def scenario() -> list[httpx.Response]:
        async with admin_client(NoShadow()) as client:
            return [
                await client.get("/api/routes/list-rooms/shadow"),
                await client.post("/api/routes/list-rooms/shadow", json={"sample_rate": 0}),
                await client.post("/api/routes/list-rooms/shadow/reset", json={"reason": "why"}),
            ]

    for response in asyncio.run(scenario()):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "shadow_off"


def test_an_override_reaches_the_other_workers(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        one = ShadowService(deps(redis_url, redis_prefix), rng=lambda: 0.4)
        two = ShadowService(deps(redis_url, redis_prefix), rng=lambda: 0.4)
        route = CONFIG.route("list-rooms")
        assert route is not None
        await one.start()
        await two.start()
        try:
            assert two.wants(route, "GET")  # 0.4 < 0.5
            await one.apply_override("list-rooms", {"sample_rate": 0.1})
            await asyncio.sleep(1.2)  # two refreshes overrides in its background loop
            assert not two.wants(route, "GET")
            assert (await two.route_status("list-rooms"))["sampled_out"] == 1  # type: ignore[index]
        finally:
            await one.stop()
            await two.stop()

    asyncio.run(scenario())
