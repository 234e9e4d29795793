"""What reaches the upstream is normalised at the edge: one Host, no trailer fields,
Content-Length in canonical form. Checked on the bytes the upstream received."""

from __future__ import annotations

import time

import pytest

from tests.integration.hostile.clients import connect, exchange, read_reply
from tests.integration.hostile.conftest import edge_proxy_fixture
from tests.integration.hostile.upstream import Seen
from tests.integration.proxy.conftest import Proxy

BUFFER = 1024


proxy = edge_proxy_fixture({"STRANGLER_BODY_BUFFER_BYTES": str(BUFFER)})


def received(seen: Seen, marker: str) -> list[tuple[bytes, bytes]]:
    with seen.lock:
        return [
            (h, b) for h, b in zip(seen.heads, seen.bodies, strict=True) if marker.encode() in h
        ]


@pytest.mark.parametrize("second", [b"Host: proxy.test", b"host: other.test"])
def test_two_host_headers_get_400_and_nothing_reaches_the_upstream(
    proxy: Proxy, upstream: tuple[str, Seen], second: bytes
) -> None:
    _, seen = upstream
    connections = seen.connections
    reply = exchange(
        proxy.port,
        b"GET /echo?m=two-hosts HTTP/1.1\r\nHost: proxy.test\r\n" + second + b"\r\n"
        b"Connection: close\r\n\r\n",
    )

    assert reply.status == 400
    assert b"more than one Host header" in reply.body
    assert received(seen, "two-hosts") == []
    assert seen.connections == connections


def test_trailers_of_a_small_chunked_body_never_become_headers(
    proxy: Proxy, upstream: tuple[str, Seen]
) -> None:
    _, seen = upstream
    reply = exchange(
        proxy.port,
        b"POST /echo?m=small-trailers HTTP/1.1\r\nHost: proxy.test\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n"
        b"Authorization: Bearer stolen\r\nHost: evil.test\r\nX-Trailer: 1\r\n\r\n",
    )

    assert reply.status == 200
    [(head, body)] = received(seen, "small-trailers")
    assert body == b"hello world"
    lower = head.lower()
    assert b"authorization" not in lower and b"evil.test" not in lower
    assert b"x-trailer" not in lower
    assert b"content-length: 11\r\n" in lower  # read whole, sent with its length


def test_trailers_of_a_streamed_chunked_body_are_not_forwarded(
    proxy: Proxy, upstream: tuple[str, Seen]
) -> None:
    _, seen = upstream
    chunks = [b"400\r\n" + bytes([97 + n]) * 1024 + b"\r\n" for n in range(4)]
    with connect(proxy.port) as sock:
        sock.sendall(
            b"POST /echo?m=streamed-trailers HTTP/1.1\r\nHost: proxy.test\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + b"".join(chunks[:2])
        )
        time.sleep(0.3)  # the proxy has 2 KiB, over its 1 KiB buffer: it starts streaming
        sock.sendall(
            b"".join(chunks[2:]) + b"0\r\nAuthorization: Bearer stolen\r\nX-Trailer: 1\r\n\r\n"
        )
        reply = read_reply(sock)

    assert reply.status == 200
    [(head, body)] = received(seen, "streamed-trailers")
    assert body == b"a" * 1024 + b"b" * 1024 + b"c" * 1024 + b"d" * 1024
    assert b"transfer-encoding: chunked" in head.lower()  # streamed, not read whole
    assert b"authorization" not in head.lower()
    with seen.lock:
        assert not any(b"stolen" in line or b"x-trailer" in line.lower() for line in seen.trailers)


@pytest.mark.parametrize("declared", [b"0005", b"5", b" 05 "])
def test_content_length_reaches_the_upstream_in_canonical_form(
    proxy: Proxy, upstream: tuple[str, Seen], declared: bytes
) -> None:
    _, seen = upstream
    marker = f"length-{declared.strip().decode()}"
    reply = exchange(
        proxy.port,
        f"POST /echo?m={marker} HTTP/1.1\r\nHost: proxy.test\r\n".encode()
        + b"Content-Length: "
        + declared
        + b"\r\nConnection: close\r\n\r\nhello",
    )

    assert reply.status == 200
    [(head, body)] = received(seen, marker)
    assert body == b"hello"
    lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    assert [line.lower() for line in lengths] == [b"content-length: 5"]
