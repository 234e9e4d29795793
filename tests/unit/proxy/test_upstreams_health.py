"""Upstreams' health probe is shared and cached; its breakers follow reloads."""

from __future__ import annotations

import asyncio

from proxy.config import RoutesConfig, parse_routes
from proxy.upstreams import Upstreams
from tests.unit.proxy.samples import ROUTES_HEAD

ROUTE = "  - {id: a, path: /a, stage: modern, fallback: legacy}\n"


def config(modern: str, extra: str = "") -> RoutesConfig:
    text = ROUTES_HEAD.replace('"http://127.0.0.1:8002"}', f'"{modern}"{extra}}}') + ROUTE
    return parse_routes(text, source="routes.yaml").config


def test_concurrent_callers_share_one_probe_and_its_result_is_kept_a_moment() -> None:
    async def scenario() -> None:
        connections = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.1)  # slow enough for the callers to overlap
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        upstreams = Upstreams(config(f"http://127.0.0.1:{port}"), {})
        try:
            results = await asyncio.gather(*(upstreams.probe("modern") for _ in range(5)))
            assert results == [(True, "ok")] * 5 and connections == 1
            assert await upstreams.probe("modern") == (True, "ok") and connections == 1
            ago = upstreams.checked_ago("modern")
            assert ago is not None and ago < 2.0
        finally:
            await upstreams.close()
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())


def test_a_reload_changes_breaker_settings_but_keeps_its_state() -> None:
    async def scenario() -> None:
        url = "http://127.0.0.1:8002"
        upstreams = Upstreams(config(url, ", breaker: {failures: 1}"), {})
        breaker = upstreams.breaker("modern")
        assert breaker.allow()
        breaker.failed()
        assert breaker.state == "open"
        upstreams.update(config(url, ", breaker: {failures: 9, cooldown: 30}"))
        assert upstreams.breaker("modern") is breaker
        assert breaker.settings.failures == 9 and breaker.state == "open"
        upstreams.update(config("http://127.0.0.1:8003"))  # moved: a new, closed breaker
        assert upstreams.breaker("modern").state == "closed"
        await upstreams.close()

    asyncio.run(scenario())
