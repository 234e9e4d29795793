"""The HTTP health probe, against scripted servers on loopback: what counts as alive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from proxy.health import ProbeResult, http_probe
from strangler.embedded_db import free_port

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def answering(reply: bytes) -> Script:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        handle.seen.append(request)  # type: ignore[attr-defined]
        writer.write(reply)
        await writer.drain()
        writer.close()

    handle.seen = []  # type: ignore[attr-defined]
    return handle


async def hanging(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    await asyncio.sleep(30)  # accepted and read, never answered: a frozen app


async def probe_with(script: Script, path: str = "/healthz", timeout: float = 0.3) -> ProbeResult:
    server = await asyncio.start_server(script, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await http_probe(f"http://127.0.0.1:{port}", path, timeout)
    finally:
        server.close()
        await server.wait_closed()  # a handler still hanging is cancelled by asyncio.run


@pytest.mark.parametrize(
    ("reply", "ok", "status"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", True, 200),
        (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", True, 404),
        (b"HTTP/1.0 503 Service Unavailable\r\n\r\n", False, 503),
        (b"SSH-2.0-OpenSSH_9.6\r\n", False, None),
        (b"", False, None),
    ],
)
def test_any_answer_below_500_is_alive(reply: bytes, ok: bool, status: int | None) -> None:
    result = asyncio.run(probe_with(answering(reply)))
    assert (result.ok, result.status) == (ok, status)
    expected = "ok" if ok else "127.0.0.1:"  # a failure names the address (admin eyes only)
    assert expected in result.detail


def test_it_asks_for_the_configured_path_on_a_connection_of_its_own() -> None:
    script = answering(b"HTTP/1.1 204 No Content\r\n\r\n")
    result = asyncio.run(probe_with(script, path="/ping"))
    assert result.ok
    request = script.seen[0]  # type: ignore[attr-defined]
    assert request.startswith(b"GET /ping HTTP/1.1\r\n")
    assert b"\r\nConnection: close\r\n" in request


def test_a_server_that_accepts_but_never_answers_is_down_within_the_timeout() -> None:
    started = time.monotonic()
    result = asyncio.run(probe_with(hanging, timeout=0.3))
    elapsed = time.monotonic() - started
    assert not result.ok and "no HTTP answer within 0.3 s" in result.detail
    assert elapsed < 3.0  # bounded by its timeout, whatever the server does


def test_nothing_listening_is_unreachable() -> None:
    result = asyncio.run(http_probe(f"http://127.0.0.1:{free_port()}", "/healthz", 0.3))
    assert not result.ok and "unreachable" in result.detail
