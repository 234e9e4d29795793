"""The forwarding client against scripted upstreams on real loopback sockets.

Each upstream here is an asyncio server that answers with exact bytes, so the tests
can produce what well-behaved apps never do (a stale connection, a truncated body,
an interim 100, garbage) and check the client's failure rules one by one.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import BinaryIO

import pytest

from proxy.upstream_client import (
    READ_HIGH_WATER,
    BadResponse,
    ConnectFailed,
    Disconnected,
    UpstreamClient,
    UpstreamResponse,
)
from proxy.upstream_client._connection import MAX_HEAD_BYTES

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class Upstream:
    """A scripted server: counts connections and keeps every request head it read."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.url = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def head(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        return head


@asynccontextmanager
async def upstream(script: Callable[[Upstream], Handler]) -> AsyncIterator[Upstream]:
    up = Upstream(lambda r, w: asyncio.sleep(0))
    up.handler = script(up)
    server = await asyncio.start_server(up.serve, "127.0.0.1", 0)
    up.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield up
    finally:
        server.close()


def keep_answering(reply: bytes = OK) -> Callable[[Upstream], Handler]:
    def script(up: Upstream) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                head = await up.head(reader)
                length = _content_length(head)
                if length:
                    await reader.readexactly(length)
                writer.write(reply)
                await writer.drain()

        return handler

    return script


def answer_once(reply: bytes = b"", hold: float = 0.0) -> Callable[[Upstream], Handler]:
    """Read one request head, write `reply` (possibly nothing, or not HTTP at all),
    keep the connection open `hold` seconds, then close it."""

    def script(up: Upstream) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await up.head(reader)
            writer.write(reply)
            await asyncio.sleep(hold)

        return handler

    return script


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def read_all(response: UpstreamResponse) -> bytes:
    parts = []
    while chunk := await response.read():
        parts.append(chunk)
    response.release()
    return b"".join(parts)


def new_client(url: str, limit: int = 8) -> UpstreamClient:
    return UpstreamClient(url, limit=limit, keepalive=4.0)


@asynccontextmanager
async def client_of(
    script: Callable[[Upstream], Handler], limit: int = 8
) -> AsyncIterator[tuple[Upstream, UpstreamClient]]:
    """A scripted upstream and a client of it; the client is closed, then the server."""
    async with upstream(script) as up:
        client = new_client(up.url, limit)
        try:
            yield up, client
        finally:
            client.close()


def test_a_connection_is_kept_alive_and_the_head_is_sent_as_given() -> None:
    async def scenario() -> None:
        async with client_of(keep_answering()) as (up, client):
            for _ in range(3):
                response = await client.request("GET", "/a?b=%2F", [("X-One", "1")], None, 5)
                assert (response.status, await read_all(response)) == (200, b"ok")
            assert up.connections == 1
            first = up.requests[0].decode()
            assert first.startswith("GET /a?b=%2F HTTP/1.1\r\nHost: 127.0.0.1:")
            assert "X-One: 1\r\n" in first and "Content-Length" not in first

    asyncio.run(scenario())


def test_the_callers_host_and_content_length_win() -> None:
    async def scenario() -> None:
        async with client_of(keep_answering()) as (up, client):
            headers = [("host", "example.org"), ("content-length", "3")]
            response = await client.request("POST", "/", headers, b"abc", 5)
            await read_all(response)
            head = up.requests[0].decode().lower()
            assert head.count("host:") == 1 and "host: example.org" in head
            assert head.count("content-length:") == 1

    asyncio.run(scenario())


def test_a_streamed_body_goes_chunked_unless_its_length_was_declared() -> None:
    bodies: list[bytes] = []

    def script(up: Upstream) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                head = await up.head(reader)
                if b"chunked" in head:
                    bodies.append(await reader.readuntil(b"0\r\n\r\n"))
                else:
                    bodies.append(await reader.readexactly(_content_length(head)))
                writer.write(OK)

        return handler

    async def stream() -> AsyncIterator[bytes]:
        for part in (b"abc", b"", b"defg"):
            yield part

    async def scenario() -> None:
        async with client_of(script) as (_, client):
            await read_all(await client.request("PUT", "/", [], stream(), 5))
            declared = [("Content-Length", "7")]
            await read_all(await client.request("PUT", "/", declared, stream(), 5))
        assert bodies == [b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", b"abcdefg"]

    asyncio.run(scenario())


def test_head_answers_end_at_the_head_and_the_connection_is_reused() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n"

    async def scenario() -> None:
        async with client_of(keep_answering(reply)) as (up, client):
            for _ in range(2):
                response = await client.request("HEAD", "/", [], None, 5)
                assert response.status == 200 and response.content_length is None
                assert await read_all(response) == b""
            assert up.connections == 1

    asyncio.run(scenario())


def test_interim_answers_are_skipped() -> None:
    reply = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx"

    async def scenario() -> None:
        async with client_of(keep_answering(reply)) as (_, client):
            response = await client.request("POST", "/", [], b"body", 5)
            assert (response.status, await read_all(response)) == (201, b"x")

    asyncio.run(scenario())


def test_a_body_delimited_by_the_connection_end_is_whole() -> None:
    def script(up: Upstream) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await up.head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil ")
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"the end")

        return handler

    async def scenario() -> None:
        async with client_of(script) as (_, client):
            response = await client.request("GET", "/", [], None, 5)
            assert await read_all(response) == b"until the end"

    asyncio.run(scenario())


def test_a_truncated_body_is_a_failure_not_a_short_answer() -> None:
    script = answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nonly")

    async def scenario() -> None:
        async with client_of(script) as (_, client):
            response = await client.request("GET", "/", [], None, 5)
            with pytest.raises(Disconnected):
                await read_all(response)
            response.release()

    asyncio.run(scenario())


def test_connection_failures_are_told_apart() -> None:
    close_at_once, garbage = answer_once(), answer_once(b"SMTP ready\r\n\r\n", hold=1)

    async def scenario() -> None:
        async with upstream(close_at_once) as up:
            with pytest.raises(Disconnected):
                await new_client(up.url).request("GET", "/", [], None, 5)
            closed_url = up.url
        with pytest.raises(ConnectFailed):
            await new_client(closed_url).request("GET", "/", [], None, 5)
        async with upstream(garbage) as up:
            with pytest.raises(BadResponse):
                await new_client(up.url).request("GET", "/", [], None, 5)

    asyncio.run(scenario())


def test_the_time_limit_covers_the_head_and_the_body() -> None:
    slow_head = answer_once(hold=2)
    slow_body = answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", hold=2)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        async with upstream(slow_head) as up:
            started = loop.time()
            with pytest.raises(TimeoutError):
                await new_client(up.url).request("GET", "/", [], None, 0.2)
            assert loop.time() - started < 1.5
        async with upstream(slow_body) as up:
            response = await new_client(up.url).request("GET", "/", [], None, 0.2)
            with pytest.raises(TimeoutError):
                await read_all(response)
            response.release()

    asyncio.run(scenario())


def test_requests_over_the_pool_limit_wait_for_a_connection() -> None:
    async def scenario() -> None:
        async with client_of(keep_answering(), limit=1) as (up, client):

            async def one() -> bytes:
                return await read_all(await client.request("GET", "/", [], None, 5))

            assert await asyncio.gather(*(one() for _ in range(5))) == [b"ok"] * 5
            assert up.connections == 1

    asyncio.run(scenario())


def test_a_slow_reader_pauses_the_upstream_instead_of_buffering_its_body() -> None:
    size = 8 * READ_HIGH_WATER
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size

    async def scenario() -> None:
        async with client_of(keep_answering(reply)) as (_, client):
            response = await client.request("GET", "/", [], None, 5)
            largest = total = 0
            while chunk := await response.read():
                largest = max(largest, len(chunk))
                total += len(chunk)
                await asyncio.sleep(0.01)  # a slow client
            response.release()
            assert total == size
            # One read hands over what was buffered: at most the high-water mark plus
            # what arrived with the packet that crossed it.
            assert largest <= 2 * READ_HIGH_WATER

    asyncio.run(scenario())


def test_an_idle_connection_past_its_keepalive_is_not_reused() -> None:
    async def scenario() -> None:
        async with upstream(keep_answering()) as up:
            client = UpstreamClient(up.url, limit=8, keepalive=0.1)
            await read_all(await client.request("GET", "/", [], None, 5))
            await read_all(await client.request("GET", "/", [], None, 5))
            assert up.connections == 1  # reused while fresh
            await asyncio.sleep(0.2)  # the upstream may be closing it now: open another
            await read_all(await client.request("GET", "/", [], None, 5))
            assert up.connections == 2
            client.close()

    asyncio.run(scenario())


def test_a_request_that_waits_past_its_limit_for_a_connection_leaves_the_pool_sound() -> None:
    def slow_first(up: Upstream) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await up.head(reader)
                if len(up.requests) == 1:
                    await asyncio.sleep(0.3)
                writer.write(OK)

        return handler

    async def scenario() -> None:
        async with client_of(slow_first, limit=1) as (up, client):
            first = asyncio.ensure_future(client.request("GET", "/", [], None, 5))
            await asyncio.sleep(0.05)  # the first holds the only connection
            with pytest.raises(TimeoutError):
                await client.request("GET", "/", [], None, 0.1)
            assert await read_all(await first) == b"ok"
            later = await client.request("GET", "/", [], None, 5)
            assert await read_all(later) == b"ok"
            assert up.connections == 1

    asyncio.run(scenario())


def test_an_endless_response_head_is_refused_but_a_big_body_in_one_read_is_not() -> None:
    size = MAX_HEAD_BYTES + 1000
    big = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"y" * size
    endless = b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"p" * (2 * MAX_HEAD_BYTES)

    async def scenario() -> None:
        async with upstream(keep_answering(big)) as up:
            response = await new_client(up.url).request("GET", "/", [], None, 5)
            assert len(await read_all(response)) == size
        async with upstream(keep_answering(endless)) as up:
            with pytest.raises(BadResponse, match="head over"):
                await new_client(up.url).request("GET", "/", [], None, 5)

    asyncio.run(scenario())


# -- an upstream that misbehaves: bytes outside any exchange, conflicting framing --------

INJECTED = b'HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n{"for":"INJECTED"}'


def answer_then(extra: bytes, reply: bytes = OK) -> Callable[[Upstream], Handler]:
    """Answer each request with `reply`; after the first, also write `extra` at once,
    as if the upstream answered twice. Later requests on the connection get `reply`,
    so a client that reused it would read `extra` as the next answer."""

    def script(up: Upstream) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                await up.head(reader)
                writer.write(reply + (extra if len(up.requests) == 1 else b""))
                await writer.drain()

        return handler

    return script


@pytest.mark.parametrize(
    "extra",
    [INJECTED, b'{"for":"INJECTED"}', INJECTED[:20]],
    ids=["a-whole-response", "garbage", "half-a-head"],
)
def test_bytes_after_a_whole_response_are_never_read_as_the_next_answer(extra: bytes) -> None:
    async def scenario() -> None:
        async with client_of(answer_then(extra), limit=1) as (up, client):
            first = await client.request("GET", "/first", [], None, 5)
            assert first.raw_headers == [(b"Content-Length", b"2")]  # one head, not two merged
            assert await read_all(first) == b"ok"
            for _ in range(3):
                later = await client.request("GET", "/victim", [], None, 5)
                assert await read_all(later) == b"ok"
            assert up.connections == 2  # the connection that misbehaved was dropped

    asyncio.run(scenario())


def test_a_body_after_a_head_answer_closes_the_connection() -> None:
    head_with_body = b"HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n" + b'{"for":"INJECTED"}'

    async def scenario() -> None:
        async with client_of(keep_answering(head_with_body), limit=1) as (up, client):
            response = await client.request("HEAD", "/", [], None, 5)
            assert await read_all(response) == b""
            response = await client.request("HEAD", "/", [], None, 5)
            assert await read_all(response) == b""
            assert up.connections == 2

    asyncio.run(scenario())


def test_bytes_waiting_on_an_idle_connection_stop_its_reuse() -> None:
    """The stray bytes reach the socket while the event loop is busy elsewhere, so only
    the check before reuse can see them."""
    released, injected = threading.Event(), threading.Event()
    accepted: list[socket.socket] = []

    def serve(listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    def answer(conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader, contextlib.suppress(OSError):
            while _read_head(reader):
                conn.sendall(OK)
                if len(accepted) == 1 and not injected.is_set():
                    released.wait(5)
                    conn.sendall(INJECTED)
                    injected.set()

    async def scenario(url: str) -> None:
        client = new_client(url, limit=1)
        assert await read_all(await client.request("GET", "/first", [], None, 5)) == b"ok"
        released.set()
        assert injected.wait(5)  # blocks the loop: the bytes wait unread in the socket
        time.sleep(0.05)
        assert await read_all(await client.request("GET", "/victim", [], None, 5)) == b"ok"
        assert len(accepted) == 2
        client.close()

    with socket.create_server(("127.0.0.1", 0)) as listener:
        threading.Thread(target=serve, args=(listener,), daemon=True).start()
        asyncio.run(scenario(f"http://127.0.0.1:{listener.getsockname()[1]}"))


def _read_head(reader: BinaryIO) -> bool:
    while (line := reader.readline()) not in (b"\r\n", b""):
        pass
    return line == b"\r\n"


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: 2\r\nContent-Length: 3",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked",
        b"Transfer-Encoding: chunked\r\nContent-Length: 2",
        b"Content-Length: -2",
        b"Content-Length: 2, 3",
        b"Content-Length: 0x2",
        b"Content-Length: 99999999999999999999999",
    ],
    ids=["two-lengths", "cl-then-te", "te-then-cl", "negative", "list", "hex", "overflow"],
)
def test_conflicting_or_invalid_framing_is_a_bad_response_and_closes(head: bytes) -> None:
    closed = asyncio.Event()

    def script(up: Upstream) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await up.head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\n" + head + b"\r\n\r\nok" + INJECTED)
            if await reader.read(1) == b"":
                closed.set()

        return handler

    async def scenario() -> None:
        async with client_of(script) as (_, client):
            with pytest.raises(BadResponse, match="invalid HTTP response"):
                await client.request("GET", "/", [], None, 5)
            await asyncio.wait_for(closed.wait(), 5)

    asyncio.run(scenario())
