"""Slow clients hold only their own connection, and not for long.

The proxy runs with short client timeouts (header 1.5 s, body 2 s) and a small
upstream pool (20), so that an attack that took pooled connections would starve
everyone at once, and a request waiting for a pooled connection would wait for
the route's timeout (30 s).
"""

from __future__ import annotations

import select
import socket
import time

from tests.integration.hostile.clients import (
    Reply,
    connect,
    exchange,
    read_reply,
    request,
    wait_until,
)
from tests.integration.hostile.conftest import edge_proxy_fixture
from tests.integration.hostile.upstream import Seen
from tests.integration.proxy.conftest import Proxy

HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 2.0
BUFFER = 64 * 1024
SLOW_UPLOADS = 300
POOL = 20


proxy = edge_proxy_fixture(
    {
        "STRANGLER_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "STRANGLER_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "STRANGLER_BODY_BUFFER_BYTES": str(BUFFER),
    },
    pool_size=POOL,
)


def open_slow_upload(port: int, marker: str) -> socket.socket:
    """A POST that declares 200 bytes and sends one."""
    sock = connect(port, timeout=30)
    head = f"POST /upload?m={marker} HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 200\r\n"
    sock.sendall(head.encode() + b"\r\nx")
    return sock


def test_300_slow_uploads_do_not_delay_another_client(
    proxy: Proxy, upstream: tuple[str, Seen]
) -> None:
    _, seen = upstream
    port = proxy.port
    began = time.monotonic()
    uploads = [open_slow_upload(port, "slow") for _ in range(SLOW_UPLOADS)]
    try:
        time.sleep(0.3)  # every upload is now waiting on its body
        started = time.monotonic()
        reply = exchange(port, request("GET", "/echo?m=bystander"), timeout=30)
        waited = time.monotonic() - started

        assert reply.status == 200
        assert waited < 5.0, f"the bystander waited {waited:.1f} s"
        replies: list[Reply] = []
        for sock in uploads:
            replies.append(read_reply(sock))
        ended = time.monotonic() - began
    finally:
        for sock in uploads:
            sock.close()

    assert [r.status for r in replies] == [408] * SLOW_UPLOADS
    assert b"request body not received in time" in replies[0].body
    assert ended < BODY_TIMEOUT + 10.0, f"the slow uploads were answered after {ended:.1f} s"
    assert seen.requests("POST") == []  # no slow body ever reached the upstream


def test_a_stalled_large_upload_releases_its_upstream_connection(
    proxy: Proxy, upstream: tuple[str, Seen]
) -> None:
    _, seen = upstream
    cuts_before = len(seen.cut_bodies)
    with connect(proxy.port, timeout=30) as sock:
        head = b"POST /upload?m=stalled HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 10000000"
        sock.sendall(head + b"\r\n\r\n" + b"y" * (2 * BUFFER))  # past the buffer: streamed
        sent = time.monotonic()
        reply = read_reply(sock)
        answered = time.monotonic() - sent

    assert reply.status == 408
    assert BODY_TIMEOUT * 0.9 < answered < BODY_TIMEOUT + 5.0
    # The upstream saw the body cut off (its connection closed), not left hanging.
    assert wait_until(lambda: len(seen.cut_bodies) > cuts_before, 5.0)
    assert seen.cut_bodies[-1] - sent < BODY_TIMEOUT + 5.0


def test_a_trickle_under_the_minimum_rate_gets_408(proxy: Proxy) -> None:
    with connect(proxy.port, timeout=30) as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 200\r\n\r\n")
        began = time.monotonic()
        # A byte every 0.4 s: never idle as long as the body timeout, but far under
        # the default minimum of 1,024 bytes/s. Stop once the proxy has answered.
        while not select.select([sock], [], [], 0.4)[0] and time.monotonic() - began < 10:
            sock.sendall(b"z")
        answered = time.monotonic() - began
        reply = read_reply(sock)

    assert reply.status == 408
    assert b"bytes/s" in reply.body
    assert BODY_TIMEOUT * 0.9 < answered < BODY_TIMEOUT + 3.0


def test_slow_and_silent_heads_are_closed_after_the_header_timeout(
    proxy: Proxy, upstream: tuple[str, Seen]
) -> None:
    _, seen = upstream
    port = proxy.port
    slow = [connect(port, timeout=30) for _ in range(50)]
    silent = [connect(port, timeout=30) for _ in range(10)]
    began = time.monotonic()
    try:
        for sock in slow:
            sock.sendall(b"GET /echo?m=slow-head HTTP/1.1\r\nHost: proxy.test\r\n")
        for _ in range(2):  # keep trickling, never finishing the head
            time.sleep(0.4)
            for sock in slow:
                sock.sendall(b"X-More: 1\r\n")
        slow_replies = [read_reply(sock) for sock in slow]
        silent_replies = [read_reply(sock) for sock in silent]
        ended = time.monotonic() - began
    finally:
        for sock in slow + silent:
            sock.close()

    assert [r.status for r in slow_replies] == [408] * len(slow)
    assert all(r.status == 0 and r.head == b"" for r in silent_replies)  # closed, no answer
    assert HEADER_TIMEOUT * 0.9 < ended < HEADER_TIMEOUT + 5.0
    assert all(b"slow-head" not in head for head in seen.requests("GET"))
