"""Clients that misbehave on purpose, on raw sockets: what no HTTP library will send.

Each helper speaks bytes to the proxy and reads back whatever comes (an answer, a
plain close or a reset), so a test can assert on exactly what a hostile or careless
client would see.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reply:
    """What came back on a connection: a parsed answer, or none (`status` 0)."""

    status: int
    head: bytes
    body: bytes
    reset: bool = False  # the connection was reset instead of closed

    def header(self, name: str) -> str | None:
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                return value.strip().decode("latin-1")
        return None


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_reply(sock: socket.socket) -> Reply:
    """Read until the proxy closes the connection or one answer is complete."""
    data = bytearray()
    reset = False
    while True:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            reply = _parse(bytes(data), head_end)
            length = reply.header("content-length")
            if length is not None and len(reply.body) >= int(length):
                return reply
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            reset = True
            break
        if not chunk:
            break
        data += chunk
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return Reply(0, bytes(data), b"", reset=reset)
    reply = _parse(bytes(data), head_end)
    return Reply(reply.status, reply.head, reply.body, reset=reset)


def _parse(data: bytes, head_end: int) -> Reply:
    head, body = data[:head_end], data[head_end + 4 :]
    status = int(head.split(b" ", 2)[1])
    return Reply(status, head, body)


def exchange(port: int, data: bytes, timeout: float = 10.0) -> Reply:
    """Send `data` on a new connection and read what comes back."""
    with connect(port, timeout) as sock:
        # Refused before all was sent: the answer may still be readable.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        return read_reply(sock)


def send_while_reading(port: int, data: bytes, timeout: float = 20.0) -> Reply:
    """Send a large `data` from a thread while reading: the proxy may answer (and stop
    reading) long before the client is done sending."""
    with connect(port, timeout) as sock:

        def send() -> None:
            with contextlib.suppress(OSError):  # refused mid-way: expected
                sock.sendall(data)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        reply = read_reply(sock)
        # Shut the socket down (not close: a sendall blocked on a closed descriptor
        # waits out its whole timeout), which ends the sender's sendall at once.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sender.join(timeout)
        return reply


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def request(
    method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    """A well-formed request, closed after the answer."""
    lines = [f"{method} {path} HTTP/1.1", "Host: proxy.test", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition()` until true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
