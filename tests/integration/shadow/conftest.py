"""Shadow harness: real upstream servers, real Redis, the real `ShadowService`.

The data path is not involved here: tests capture legacy's answer themselves (over a
real socket) and hand `CapturedRequest` / `CapturedResponse` values to the service,
exactly as the proxy does after a user's response is complete.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
import redis.asyncio

from proxy.config import Route, RoutesConfig
from proxy.exchange import CapturedRequest, CapturedResponse, ShadowDeps
from proxy.shadow import ShadowService, create_shadow
from proxy.shadow.replay import replay
from tests.support.servers import run_app

APP = "tests.integration.shadow.upstreams:app"
SETTLE_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def upstream() -> Iterator[Callable[..., str]]:
    """`upstream(role, divergence="none", **env)` → base URL; one server per variant."""
    started: dict[tuple[object, ...], str] = {}
    with ExitStack() as stack:

        def get(role: str, divergence: str = "none", **env: str) -> str:
            key = (role, divergence, *sorted(env.items()))
            if key not in started:
                server = stack.enter_context(
                    run_app(
                        APP,
                        env={"SHADOW_ROLE": role, "SHADOW_DIVERGENCE": divergence, **env},
                    )
                )
                started[key] = server.url
            return started[key]

        yield get


@dataclass
class Harness:
    sink: ShadowService
    config: RoutesConfig
    session: aiohttp.ClientSession
    urls: dict[str, str]

    async def capture(
        self, route_id: str, method: str, path: str, *, query: str = "", body: bytes = b""
    ) -> tuple[CapturedRequest, CapturedResponse]:
        """Ask legacy as the proxy would, and return the captured pair."""
        headers = (("accept", "application/json"), ("authorization", "Bearer user-token-123"))
        if body:
            headers += (("content-type", "application/json"),)
        request = CapturedRequest(
            route_id, method, path, query, {}, headers, body, f"req-{time.monotonic_ns()}"
        )
        answer = await replay(
            self.session,
            self.urls["legacy"],
            request,
            upstream="legacy",
            timeout=10,
            body_cap=1 << 20,
        )
        return request, answer

    async def capture_on(
        self, route_id: str, method: str, path: str
    ) -> tuple[Route, CapturedRequest, CapturedResponse]:
        """The route and one exchange captured from legacy, for a test to submit by hand
        (as often as it likes, or altered first)."""
        route = self.config.route(route_id)
        assert route is not None
        request, answer = await self.capture(route_id, method, path)
        return route, request, answer

    async def mirror(self, route_id: str, method: str, path: str, times: int = 1) -> None:
        for _ in range(times):
            route, request, answer = await self.capture_on(route_id, method, path)
            assert self.sink.wants(route, method)
            self.sink.submit(route, request, answer)

    async def settle(
        self, route_id: str, done: Callable[[dict], bool], timeout: float = SETTLE_TIMEOUT
    ) -> dict:
        """Poll the route's status until `done(status)`; fail with the last status."""
        deadline = time.monotonic() + timeout
        while True:
            status = await self.sink.route_status(route_id)
            assert status is not None
            if done(status):
                return status
            if time.monotonic() > deadline:
                pytest.fail(f"route {route_id} did not settle: {status}")
            await asyncio.sleep(0.05)


def table(routes: list[dict], urls: dict[str, str]) -> RoutesConfig:
    return RoutesConfig.model_validate(
        {
            "version": 1,
            "upstreams": {name: {"url": url} for name, url in urls.items()},
            "routes": routes,
        }
    )


@asynccontextmanager
async def harness(
    redis_url: str, prefix: str, urls: dict[str, str], routes: list[dict]
) -> AsyncIterator[Harness]:
    config = table(routes, urls)
    client = redis.asyncio.Redis.from_url(redis_url)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    )
    deps = ShadowDeps(
        routes=lambda: config,
        redis=client,
        key_prefix=prefix,
        session=lambda name: session,
        upstream_url=urls.__getitem__,
    )
    sink = create_shadow(deps)
    await sink.start()
    try:
        yield Harness(sink, config, session, urls)
    finally:
        await sink.stop()
        await session.close()
        await client.aclose()


Scenario = Callable[[Harness], Awaitable[None]]
RunShadow = Callable[[dict[str, str], list[dict], Scenario], None]


def legacy_and_modern(
    upstream: Callable[..., str], divergence: str = "none", **env: str
) -> dict[str, str]:
    """The upstreams most tests need: a faithful legacy, and modern with `divergence`."""
    return {"legacy": upstream("legacy"), "modern": upstream("modern", divergence, **env)}


@pytest.fixture
def run_shadow(redis_url: str, redis_prefix: str) -> RunShadow:
    """`run_shadow(urls, routes, scenario)`: run `scenario(harness)` to the end, on a
    service with these upstreams and routes and this test's own Redis keys."""

    def run(urls: dict[str, str], routes: list[dict], scenario: Scenario) -> None:
        async def main() -> None:
            async with harness(redis_url, redis_prefix, urls, routes) as h:
                await scenario(h)

        asyncio.run(main())

    return run


async def stats(session: aiohttp.ClientSession, url: str) -> dict[str, int]:
    async with session.get(url + "/_stats") as response:
        return await response.json()
