"""WebSockets through the proxy: echo, subprotocols, close codes both ways, refusals."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import httpx
import pytest

from tests.integration.proxy.conftest import Proxy, Upstreams


async def open_socket(
    session: aiohttp.ClientSession, url: str, **kwargs: object
) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5), **kwargs)  # type: ignore[arg-type]


def test_echo_text_and_binary_with_subprotocol_and_query(proxy: Proxy) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await open_socket(
                session, proxy.ws_url + "/ws/echo?token=t1&x=%20y", protocols=["chat.v2", "chat.v1"]
            )
            hello = json.loads(await ws.receive_str())
            assert hello == {
                "upstream": "legacy",
                "query": "token=t1&x=%20y",
                "subprotocols": ["chat.v2", "chat.v1"],
            }
            assert ws.protocol == "chat.v2"
            await ws.send_str("héllo")
            assert await ws.receive_str() == "héllo"
            await ws.send_bytes(b"\x00\xff" * 1000)
            assert await ws.receive_bytes() == b"\x00\xff" * 1000
            await ws.close()

    asyncio.run(scenario())


def test_close_codes_cross_in_both_directions(proxy: Proxy, upstreams: Upstreams) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await open_socket(session, proxy.ws_url + "/ws/echo")
            await ws.receive_str()
            await ws.send_str("close:4001")
            message = await ws.receive()
            assert message.type is aiohttp.WSMsgType.CLOSE
            assert (message.data, message.extra) == (4001, "asked")

            ws = await open_socket(session, proxy.ws_url + "/ws/echo?id=client-close")
            await ws.receive_str()
            await ws.close(code=4002)

    asyncio.run(scenario())
    for _ in range(50):
        closes = httpx.get(upstreams.legacy.url + "/ws-closes").json()
        if "client-close" in closes:
            break
        time.sleep(0.05)
    assert closes.get("client-close") == 4002


def test_the_stage_picks_the_upstream_at_the_handshake(proxy: Proxy) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await open_socket(session, proxy.ws_url + "/ws/modern/echo")
            assert json.loads(await ws.receive_str())["upstream"] == "modern"
            await ws.close()

    asyncio.run(scenario())


def test_a_refused_upstream_handshake_refuses_the_client(proxy: Proxy) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await open_socket(session, proxy.ws_url + "/ws/refuse")
            assert refused.value.status == 403

    asyncio.run(scenario())
