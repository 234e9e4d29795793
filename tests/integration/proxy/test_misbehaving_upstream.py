"""A misbehaving upstream behind the real proxy: no user ever gets another's answer.

The upstream is a raw keep-alive HTTP/1.1 server on a thread, so it can do what a
buggy modern might: answer twice, answer late, frame a body two ways at once. The
proxy runs with one worker, so every request goes through the same connection pool
and a reused poisoned connection would show at once.
"""

from __future__ import annotations

import contextlib
import json
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from strangler.embedded_db import free_port
from tests.integration.proxy.conftest import Proxy, client, routes_yaml, run_proxy

INJECTED = b'HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n{"for":"INJECTED"}'
BAD_FRAMING = {
    "/t/two-lengths": b"Content-Length: 2\r\nContent-Length: 3",
    "/t/length-and-chunked": b"Content-Length: 2\r\nTransfer-Encoding: chunked",
    "/t/bad-length": b"Content-Length: 2x",
}


class Misbehaving(socketserver.StreamRequestHandler):
    """Answers `{"for": <path>}` on a keep-alive connection, and misbehaves by path."""

    connections: Counter[str] = Counter()

    def handle(self) -> None:
        self.connections["opened"] += 1
        with contextlib.suppress(OSError):
            while (path := self._read_request()) is not None:
                body = json.dumps({"for": path}).encode()
                if path in BAD_FRAMING:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n" + BAD_FRAMING[path] + b"\r\n\r\nok")
                    continue
                reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
                if path == "/t/twice-at-once":
                    reply += INJECTED  # one write: both answers arrive in one read
                self.wfile.write(reply)
                if path == "/t/twice-later":
                    time.sleep(0.05)  # the second answer comes once the first is relayed
                    self.wfile.write(INJECTED)

    def _read_request(self) -> str | None:
        request_line = self.rfile.readline().decode("latin-1")
        if not request_line:
            return None
        while self.rfile.readline() not in (b"\r\n", b""):
            pass
        return request_line.split(" ")[1]


@pytest.fixture(scope="module")
def misbehaving_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Misbehaving)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    legacy = f"http://127.0.0.1:{server.server_address[1]}"
    routes = "  - {id: any, path: '/t/{name}', stage: legacy}\n"
    text = routes_yaml(legacy, f"http://127.0.0.1:{free_port()}", routes)
    try:
        with run_proxy(tmp_path_factory.mktemp("misbehaving") / "routes.yaml", text) as proxy:
            yield proxy
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["/t/twice-at-once", "/t/twice-later"])
def test_an_answer_the_upstream_sends_unasked_reaches_nobody(
    misbehaving_proxy: Proxy, path: str
) -> None:
    with client() as http:
        first = http.get(misbehaving_proxy.url + path)
        assert first.json() == {"for": path}
        assert first.headers.get_list("content-length") == [str(len(first.content))]
        time.sleep(0.2)  # the late answer has arrived by now, on an idle pooled connection
        for n in range(5):
            victim = http.get(misbehaving_proxy.url + f"/t/victim-{n}")
            assert victim.json() == {"for": f"/t/victim-{n}"}, victim.text


@pytest.mark.parametrize("path", sorted(BAD_FRAMING))
def test_conflicting_framing_is_a_502_and_the_next_request_is_sound(
    misbehaving_proxy: Proxy, path: str
) -> None:
    with client() as http:
        reply = http.get(misbehaving_proxy.url + path)
        assert reply.status_code == 502
        error = reply.json()["error"]
        assert error["code"] == "upstream_unavailable"
        assert error["request_id"] == reply.headers["x-request-id"]
        # What a user needs (an id to quote), not the upstream's address or errno.
        assert "127.0.0.1" not in reply.text and "invalid HTTP" not in reply.text
        assert http.get(misbehaving_proxy.url + "/t/after").json() == {"for": "/t/after"}
