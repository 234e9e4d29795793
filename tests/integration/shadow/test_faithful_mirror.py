"""The mirrored request is the one legacy received, byte for byte, through the real proxy.

Legacy and modern are two raw keep-alive HTTP/1.1 recorders on threads: each keeps
the exact request target and headers it read off the socket. Clients send targets
that a decode-and-rebuild mirror gets wrong (`%3F` becoming a query, `%252e` decoded
twice, `%23` cutting the path, `%20` a raw space, `%00` raising inside a background
task); each must reach modern as the bytes legacy got. (Raw bytes outside ASCII never
get this far: uvicorn answers 400. A target the mirror cannot send byte for byte is
skipped with its reason: see test_shadow_service.)
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.servers import run_app

pytestmark = pytest.mark.redis

TARGETS = [
    b"/t/abc%3Fx=1",
    b"/t/%252e%252e",
    b"/t/a%23b",
    b"/t/a%20b",
    b"/t/a%00b",
    b"/t/a%2Fb",
    b"/t/q?a=%2F&b=%20x&a=2&c",
    b"/t/%2e%2e/x",
    b"/t/%C3%A9%e9",
]
# Legacy gets these from the proxy; modern, from the mirror (plus the shadow mark).
PROXY_SET = {"x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}


class Recorder(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Record)
        self.seen: list[tuple[bytes, bytes, list[tuple[bytes, bytes]]]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Record(socketserver.StreamRequestHandler):
    server: Recorder

    def handle(self) -> None:
        with contextlib.suppress(OSError):
            while line := self.rfile.readline():
                method, target, _ = line.split(b" ")
                headers = []
                while (field := self.rfile.readline()) not in (b"\r\n", b""):
                    name, _, value = field.rstrip(b"\r\n").partition(b":")
                    headers.append((name.lower(), value.strip()))
                with self.server.lock:
                    self.server.seen.append((method, target, headers))
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


@contextlib.contextmanager
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def raw_get(url: str, target: bytes, headers: bytes = b"") -> int:
    """A GET with exactly this target on the wire (an HTTP library would re-encode it)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: app.example\r\n" + headers + b"\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += sock.recv(65536)
    return int(reply.split(b" ", 2)[1])


def routes_file(tmp_path: Path, legacy: str, modern: str) -> Path:
    config = {
        "version": 1,
        "upstreams": {"legacy": {"url": legacy}, "modern": {"url": modern}},
        "routes": [
            {"id": "one", "path": "/t/{a}", "stage": "shadow"},
            {"id": "two", "path": "/t/{a}/{b}", "stage": "shadow"},
        ],
    }
    path = tmp_path / "routes.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def shadow_counts(client: httpx.Client) -> dict[str, dict]:
    routes = client.get("/_strangler/api/status").json()["routes"]
    return {r["id"]: r.get("shadow", {}) for r in routes}


def test_every_mirrored_target_is_the_one_legacy_received(
    redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    with recorder() as legacy, recorder() as modern:
        env = {
            "STRANGLER_ROUTES": str(routes_file(tmp_path, legacy.url, modern.url)),
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": redis_prefix,
            "STRANGLER_ADMIN_TOKEN": "",
        }
        with (
            run_app("proxy.app:app", env=env, ready_path="/_strangler/healthz") as proxy,
            httpx.Client(base_url=proxy.url, timeout=10) as client,
        ):
            extra = b"X-Custom: v\r\nAuthorization: Bearer t\r\nConnection: keep-alive, X-Hop\r\n"
            for target in TARGETS:
                assert raw_get(proxy.url, target, extra + b"X-Hop: 1\r\n") == 200
            deadline = time.monotonic() + 30
            while True:
                counts = shadow_counts(client)
                settled = sum(c.get("compared", 0) + c.get("skipped", 0) for c in counts.values())
                if settled >= len(TARGETS) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        # Legacy is also asked again for a sample of GETs (noise learning): those are
        # mirrors too, and must be as faithful. (Anything outside /t/ is a health probe.)
        tested = [seen for seen in legacy.seen + modern.seen if seen[1].startswith(b"/t/")]
        users = [seen for seen in tested if not _mirrored(seen)]
        mirrors = [seen for seen in tested if _mirrored(seen)]
        assert sorted(t for _, t, _ in users) == sorted(TARGETS)
        to_modern = [t for _, t, _ in modern.seen if t.startswith(b"/t/")]
        assert sorted(to_modern) == sorted(TARGETS)
        by_target = {t: (m, h) for m, t, h in users}
        for method, target, headers in mirrors:
            assert method == by_target[target][0] == b"GET"
            mirrored = dict(headers)
            assert mirrored.pop(b"x-strangler-shadow") == b"1"
            assert mirrored == dict(by_target[target][1]), target  # Host included
            assert mirrored[b"host"] == b"app.example" and b"x-hop" not in mirrored
        assert counts["one"]["compared"] + counts["two"]["compared"] == len(TARGETS)
        assert counts["one"]["matched"] + counts["two"]["matched"] == len(TARGETS)


def _mirrored(seen: tuple[bytes, bytes, list[tuple[bytes, bytes]]]) -> bool:
    return (b"x-strangler-shadow", b"1") in seen[2]
