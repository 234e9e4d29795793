"""Request heads are bounded: refused with 414/431 before they are held in memory.

The proxy runs with its default limits (8 KiB request target, 16 KiB per field,
64 KiB of head, 100 fields). Just under each limit passes to the upstream; just over
is refused by the proxy and never reaches the upstream. Huge heads, several at once,
leave the proxy's memory where it was.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.hostile.clients import (
    connect,
    exchange,
    request,
    rss_bytes,
    send_while_reading,
    wait_until,
)
from tests.integration.hostile.conftest import edge_proxy_fixture
from tests.integration.hostile.upstream import Seen
from tests.integration.proxy.conftest import Proxy

KIB = 1024


proxy = edge_proxy_fixture({})


def marked(seen: Seen, marker: str) -> int:
    return sum(marker.encode() in head for head in seen.requests("GET"))


@pytest.mark.parametrize(
    ("name", "ok", "refused", "status"),
    [
        (
            "request target",
            request("GET", "/echo?m=target-ok&q=" + "a" * (8 * KIB - 100)),
            request("GET", "/echo?m=target-no&q=" + "a" * (8 * KIB + 100)),
            414,
        ),
        (
            "one field",
            request("GET", "/echo?m=field-ok", {"X-Big": "b" * (16 * KIB - 100)}),
            request("GET", "/echo?m=field-no", {"X-Big": "b" * (16 * KIB + 100)}),
            431,
        ),
        (
            "field count",  # request() adds Host and Connection
            request("GET", "/echo?m=count-ok", {f"X-F{n}": "1" for n in range(98)}),
            request("GET", "/echo?m=count-no", {f"X-F{n}": "1" for n in range(99)}),
            431,
        ),
        (
            "whole head",
            request("GET", "/echo?m=head-ok", {f"X-H{n}": "h" * (8 * KIB) for n in range(7)}),
            request("GET", "/echo?m=head-no", {f"X-H{n}": "h" * (8 * KIB) for n in range(8)}),
            431,
        ),
    ],
)
def test_each_limit_passes_under_it_and_refuses_over_it(
    proxy: Proxy, upstream: tuple[str, Seen], name: str, ok: bytes, refused: bytes, status: int
) -> None:
    _, seen = upstream
    ok_marker = ok.split(b"m=")[1].split(b"&")[0].split(b" ")[0].decode()
    no_marker = refused.split(b"m=")[1].split(b"&")[0].split(b" ")[0].decode()

    assert exchange(proxy.port, ok).status == 200, name
    reply = exchange(proxy.port, refused)

    assert reply.status == status, name
    assert reply.header("connection") == "close"
    assert reply.header("content-type") == "application/json"
    assert b'"error"' in reply.body
    assert marked(seen, ok_marker) == 1
    assert marked(seen, no_marker) == 0


def test_fifty_thousand_fields_are_refused(proxy: Proxy, upstream: tuple[str, Seen]) -> None:
    _, seen = upstream
    fields = b"".join(b"X-N%d: v\r\n" % n for n in range(50_000))
    head = b"GET /echo?m=fifty-thousand HTTP/1.1\r\nHost: proxy.test\r\n" + fields + b"\r\n"

    reply = send_while_reading(proxy.port, head)

    assert reply.status == 431 or (reply.status == 0 and reply.reset)
    assert marked(seen, "fifty-thousand") == 0


def test_concurrent_4_mb_heads_are_refused_and_memory_stays_flat(
    proxy: Proxy, upstream: tuple[str, Seen]
) -> None:
    _, seen = upstream
    port, pid = proxy.port, proxy.pid
    exchange(port, request("GET", "/echo?m=warm"))  # first-request imports and buffers
    before = rss_bytes(pid)
    heads = [
        b"GET /echo?m=huge HTTP/1.1\r\nHost: proxy.test\r\nX-Huge: "
        + bytes([65 + n]) * (4 * KIB * KIB)
        + b"\r\n\r\n"
        for n in range(8)
    ]
    peak = before

    def sample() -> None:
        nonlocal peak
        peak = max(peak, rss_bytes(pid))

    with ThreadPoolExecutor(len(heads)) as pool:
        futures = [pool.submit(send_while_reading, port, head) for head in heads]
        while not all(future.done() for future in futures):
            sample()
            wait_until(lambda: all(future.done() for future in futures), 0.05)
        replies = [future.result() for future in futures]
    sample()

    assert all(r.status == 431 or (r.status == 0 and r.reset) for r in replies), replies
    assert any(r.status == 431 for r in replies)  # the linger lets clients read the answer
    assert peak - before < 64 * KIB * KIB, f"grew {(peak - before) / KIB / KIB:.1f} MiB"
    assert marked(seen, "huge") == 0
    assert exchange(port, request("GET", "/echo?m=after-huge")).status == 200


def test_pipelined_requests_are_each_measured(proxy: Proxy, upstream: tuple[str, Seen]) -> None:
    _, seen = upstream
    first = b"GET /echo?m=pipe-1 HTTP/1.1\r\nHost: proxy.test\r\n\r\n"
    last = b"GET /echo?m=pipe-2 HTTP/1.1\r\nHost: proxy.test\r\nConnection: close\r\n\r\n"
    oversized = (
        b"GET /echo?m=pipe-big HTTP/1.1\r\nHost: proxy.test\r\nX-Big: "
        + b"b" * (16 * KIB + 100)
        + b"\r\n\r\n"
    )

    both = statuses(exchange_all(proxy.port, first + last))  # one packet, two requests
    refused = statuses(exchange_all(proxy.port, first + oversized))

    assert both == [200, 200]
    assert refused in ([200], [200, 431])  # the second is measured although it came along
    assert marked(seen, "pipe-2") == 1
    assert marked(seen, "pipe-big") == 0


def exchange_all(port: int, data: bytes) -> bytes:
    """Everything the proxy sends back until it closes the connection."""
    with connect(port) as sock:
        sock.sendall(data)
        out = bytearray()
        while chunk := sock.recv(65536):
            out += chunk
        return bytes(out)


def statuses(stream: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", stream)]
