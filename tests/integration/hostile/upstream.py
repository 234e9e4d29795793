"""A small foreign upstream written from sockets up, that records requests as bytes.

The proxy's hostile-client tests need to see exactly what reached the upstream (the
head byte for byte: a trailer turned header, a `Content-Length: 0005`) and how each
connection ended (a body cut off mid-way). An ASGI app under a server would show
only what that server parsed, so this one parses nothing beyond framing. It runs in
a thread of the test process, answers every request `200 {"ok": true}` and keeps
connections alive.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

MAX_HEAD = 1024 * 1024
REPLY = b'{"ok": true}'


@dataclass
class Seen:
    """What the upstream received, shared with the test (guarded by `lock`)."""

    heads: list[bytes] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    trailers: list[bytes] = field(default_factory=list)  # trailer lines of chunked bodies
    connections: int = 0
    cut_bodies: list[float] = field(default_factory=list)  # monotonic time of each cut
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self, method: str) -> list[bytes]:
        with self.lock:
            return [head for head in self.heads if head.startswith(method.encode() + b" ")]


class _Cut(Exception):
    """The proxy closed the connection in the middle of a request."""


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        seen = self.server.seen
        with seen.lock:
            seen.connections += 1
        sock: socket.socket = self.request
        buffer = bytearray()
        try:
            while True:
                head = _read_until(sock, buffer, b"\r\n\r\n", MAX_HEAD)
                if head is None:
                    return  # the connection ended between requests
                body = _read_body(sock, buffer, head, seen)
                with seen.lock:
                    seen.heads.append(head)
                    seen.bodies.append(body)
                sock.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(REPLY), REPLY)
                )
        except (_Cut, OSError):
            with seen.lock:
                seen.cut_bodies.append(time.monotonic())


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    seen: Seen


def _read_until(sock: socket.socket, buffer: bytearray, end: bytes, limit: int) -> bytes | None:
    while True:
        index = buffer.find(end)
        if index >= 0:
            out = bytes(buffer[: index + len(end)])
            del buffer[: index + len(end)]
            return out
        if len(buffer) > limit:
            raise _Cut
        data = sock.recv(65536)
        if not data:
            if buffer:
                raise _Cut
            return None
        buffer += data


def _read_exactly(sock: socket.socket, buffer: bytearray, size: int) -> bytes:
    while len(buffer) < size:
        data = sock.recv(65536)
        if not data:
            raise _Cut
        buffer += data
    out = bytes(buffer[:size])
    del buffer[:size]
    return out


def _read_body(sock: socket.socket, buffer: bytearray, head: bytes, seen: Seen) -> bytes:
    fields = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])
    }
    if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        body = bytearray()
        while True:
            size_line = _read_until(sock, buffer, b"\r\n", 1024)
            if size_line is None:
                raise _Cut
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while line := _read_until(sock, buffer, b"\r\n", MAX_HEAD):
                    if line == b"\r\n":
                        return bytes(body)
                    with seen.lock:
                        seen.trailers.append(line)
                raise _Cut
            body += _read_exactly(sock, buffer, size + 2)[:-2]
    return _read_exactly(sock, buffer, int(fields.get(b"content-length", b"0")))


@contextmanager
def recording_upstream() -> Iterator[tuple[str, Seen]]:
    """Yield the upstream's URL and what it has seen; stopped when the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = Seen()
    thread = threading.Thread(target=server.serve_forever, name="recording-upstream")
    thread.daemon = True
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", server.seen
    finally:
        server.shutdown()
        server.server_close()
