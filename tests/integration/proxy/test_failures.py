"""When an upstream fails: 502, 504, 413 as JSON; retries only before any byte; fallback."""

from __future__ import annotations

import socketserver
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from strangler.embedded_db import free_port
from tests.integration.proxy.conftest import Proxy, Upstreams, client, routes_yaml, run_proxy


def assert_proxy_error(reply: httpx.Response, status: int, code: str) -> None:
    assert reply.status_code == status
    error = reply.json()["error"]
    assert error["code"] == code and error["message"]
    assert error["request_id"] == reply.headers["x-request-id"]


class FlakyHandler(socketserver.StreamRequestHandler):
    """A raw HTTP/1.1 upstream that fails on purpose, counting requests per path."""

    hits: Counter[str] = Counter()

    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1")
        length = 0
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        self.rfile.read(length)
        path = request_line.split(" ")[1] if " " in request_line else ""
        self.hits[path] += 1
        if path == "/cut":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        elif path == "/drop-always" or (path == "/drop-first" and self.hits[path] == 1):
            return  # close without a byte
        else:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


@pytest.fixture(scope="module")
def flaky_upstream() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FlakyHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def flaky_proxy(
    flaky_upstream: str, upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    dead = f"http://127.0.0.1:{free_port()}"
    routes = """\
  - {id: on-modern, methods: [GET, POST], path: /api/modern, stage: modern}
  - {id: flaky, path: /api/flaky, stage: modern, fallback: legacy}
"""
    text = routes_yaml(upstreams.legacy.url, dead, routes)
    path = tmp_path_factory.mktemp("flaky") / "routes.yaml"
    with run_proxy(path, text, env={"LEGACY_URL": flaky_upstream}) as running:
        yield running


def test_a_slow_upstream_gives_504(proxy: Proxy) -> None:
    with client() as http:
        assert_proxy_error(http.get(proxy.url + "/slow?seconds=3"), 504, "upstream_timeout")


def test_a_body_over_the_limit_gives_413_by_length_or_by_count(proxy: Proxy) -> None:
    with client() as http:
        assert http.post(proxy.url + "/echo/limited", content=b"a" * 900).status_code == 200
        declared = http.post(proxy.url + "/echo/limited", content=b"a" * 2000)
        assert_proxy_error(declared, 413, "payload_too_large")
        streamed = http.post(proxy.url + "/echo/limited", content=iter([b"a" * 600] * 4))
        assert_proxy_error(streamed, 413, "payload_too_large")


def test_an_unreachable_upstream_gives_502(flaky_proxy: Proxy) -> None:
    with client() as http:
        assert_proxy_error(http.get(flaky_proxy.url + "/api/modern"), 502, "upstream_unavailable")
        reply = http.post(flaky_proxy.url + "/api/modern")
        assert_proxy_error(reply, 502, "upstream_unavailable")
        # The client learns an id to quote; the address and errno are for operators.
        assert "127.0.0.1" not in reply.text and "rrno" not in reply.text
        errors = http.get(flaky_proxy.url + "/_strangler/api/status").json()["upstream_errors"]
        last = errors["modern"][-1]
        assert (last["status"], last["route"]) == (502, "on-modern")
        assert last["request_id"] == reply.headers["x-request-id"]
        assert "cannot connect to 127.0.0.1:" in last["detail"]


def test_idempotent_requests_are_retried_before_any_byte(flaky_proxy: Proxy) -> None:
    with client() as http:
        reply = http.get(flaky_proxy.url + "/drop-first")
        assert (reply.status_code, reply.text) == (200, "ok")
        assert FlakyHandler.hits["/drop-first"] == 2
        assert_proxy_error(http.post(flaky_proxy.url + "/drop-always"), 502, "upstream_unavailable")
        assert FlakyHandler.hits["/drop-always"] == 1  # a POST is never replayed


def test_a_failure_after_the_first_byte_cuts_the_response_and_is_not_retried(
    flaky_proxy: Proxy,
) -> None:
    with client() as http, pytest.raises(httpx.RemoteProtocolError):
        http.get(flaky_proxy.url + "/cut")
    assert FlakyHandler.hits["/cut"] == 1


def test_fallback_serves_from_legacy_when_modern_is_down(flaky_proxy: Proxy) -> None:
    with client() as http:
        reply = http.get(flaky_proxy.url + "/api/flaky")
        assert (reply.status_code, reply.text) == (200, "ok")  # the flaky legacy answered
        route = next(
            r for r in http.get(flaky_proxy.url + "/_strangler/api/status").json()["routes"]
            if r["id"] == "flaky"
        )  # fmt: skip
        assert route["fallbacks"] == 1 and route["requests"]["legacy"] == 1


def test_fallback_serves_from_legacy_when_modern_answers_5xx(proxy: Proxy) -> None:
    with client() as http:
        reply = http.get(proxy.url + "/api/flaky")
        assert reply.status_code == 200 and reply.headers["x-upstream"] == "legacy"
        assert http.get(proxy.url + "/api/modern").headers["x-upstream"] == "modern"
