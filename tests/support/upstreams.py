"""Small real upstream apps for the proxy's tests and benchmark.

`app` is a plain ASGI callable (import string `tests.support.upstreams:app`) run
under uvicorn with `run_app`, so the proxy talks to a real server over a real
socket. `UPSTREAM_NAME` (env) names it, so a test can tell legacy from modern: it
comes back in the `x-upstream` header of every response and in `/echo`.

Endpoints:
  /healthz                 200 {"status": "ok"}
  /echo[...]               what arrived: method, path, raw_path, query, headers, body
  /status/{code}           that status; a small body unless 204/304
  /cookies                 three Set-Cookie headers (one per call, numbered by ?user=)
  /redirect                302 to /echo (a proxy must not follow it)
  /gzip                    a pre-compressed body with Content-Encoding: gzip
  /bytes/{n}               n bytes streamed in 64 KiB chunks, with Content-Length
  /chunked                 a response without Content-Length (chunked on the wire)
  /upload                  reads the body as a stream; returns its size and SHA-256
  /slow?seconds=s          answers after s seconds
  /trivial                 a tiny JSON body (the benchmark's no-I/O upstream)
  /api/flaky               500 when UPSTREAM_NAME is modern, else like /echo
  /ws/echo                 WebSocket echo; "close:<code>" closes with that code
  /ws/refuse               refuses the handshake (403)
  /ws-closes               the close code each /ws/echo?id=… got from its client
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
from urllib.parse import parse_qs

from tests.support.asgi import Receive, Scope, Send, answer_lifespan

NAME = os.environ.get("UPSTREAM_NAME", "upstream").encode()
CHUNK = 64 * 1024
GZIP_TEXT = b'{"compressed": true, "filler": "' + b"x" * 2000 + b'"}'
GZIP_BODY = gzip.compress(GZIP_TEXT, mtime=0)
TRIVIAL = b'{"ok":true}'
CLOSES: dict[str, int] = {}
"""Close code each /ws/echo?id=… socket received from its client (shown by /ws-closes)."""


def pattern(n: int) -> bytes:
    """The deterministic bytes /bytes/{n} sends (tests compare against this)."""
    block = bytes(range(256)) * (CHUNK // 256)
    return (block * (n // len(block) + 1))[:n]


async def _json(send: Send, status: int, payload: object, extra: list | None = None) -> None:
    body = json.dumps(payload).encode()
    await _send(send, status, body, [(b"content-type", b"application/json"), *(extra or [])])


async def _send(send: Send, status: int, body: bytes, headers: list) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode()), (b"x-upstream", NAME)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await answer_lifespan(receive, send)
        return
    if scope["type"] == "websocket":
        await _websocket(scope, receive, send)
        return
    path: str = scope["path"]
    query = parse_qs(scope["query_string"].decode())
    if path == "/trivial":
        await _send(send, 200, TRIVIAL, [(b"content-type", b"application/json")])
    elif path == "/api/flaky" and NAME == b"modern":
        await _json(send, 500, {"error": {"code": "internal", "message": "modern is flaky"}})
    elif path == "/ws-closes":
        await _json(send, 200, CLOSES)
    elif path == "/healthz":
        await _json(send, 200, {"status": "ok"})
    elif path.startswith("/echo") or path.startswith("/api/"):
        body = await _read_body(receive)
        await _json(
            send,
            200,
            {
                "upstream": NAME.decode(),
                "method": scope["method"],
                "path": path,
                "raw_path": (scope.get("raw_path") or b"").decode("latin-1"),
                "query_string": scope["query_string"].decode("latin-1"),
                "headers": [
                    [k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]
                ],
                "body": body.decode("latin-1"),
            },
        )
    elif path.startswith("/status/"):
        code = int(path.rsplit("/", 1)[1])
        body = b"" if code in (204, 304) else json.dumps({"status": code}).encode()
        headers: list = [(b"etag", b'"v1"')] if code == 304 else []
        if code in (204, 304):
            await send(
                {
                    "type": "http.response.start",
                    "status": code,
                    "headers": [*headers, (b"x-upstream", NAME)],
                }
            )
            await send({"type": "http.response.body", "body": b""})
        else:
            await _send(send, code, body, [(b"content-type", b"application/json")])
    elif path == "/cookies":
        user = query.get("user", ["anon"])[0].encode()
        cookies = [
            (b"set-cookie", b"session=" + user + b"; Path=/; HttpOnly"),
            (b"set-cookie", b"theme=dark; Path=/"),
            (b"set-cookie", b"tracker=" + user + b"; Max-Age=60"),
        ]
        await _json(send, 200, {"cookie_seen": _header(scope, b"cookie")}, cookies)
    elif path == "/redirect":
        await _send(send, 302, b"", [(b"location", b"/echo/redirected")])
    elif path == "/gzip":
        headers = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
        await _send(send, 200, GZIP_BODY, headers)
    elif path.startswith("/bytes/"):
        n = int(path.rsplit("/", 1)[1])
        start = [
            (b"content-type", b"application/octet-stream"),
            (b"content-length", str(n).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": start})
        data = pattern(n)
        for offset in range(0, n, CHUNK):
            await send(
                {
                    "type": "http.response.body",
                    "body": data[offset : offset + CHUNK],
                    "more_body": True,
                }
            )
        await send({"type": "http.response.body", "body": b""})
    elif path == "/chunked":
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        for index in range(5):
            await send(
                {"type": "http.response.body", "body": b"part %d\n" % index, "more_body": True}
            )
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b""})
    elif path == "/upload":
        digest, size = hashlib.sha256(), 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            digest.update(chunk)
            size += len(chunk)
            if not message.get("more_body"):
                break
        await _json(send, 200, {"size": size, "sha256": digest.hexdigest()})
    elif path == "/slow":
        await asyncio.sleep(float(query.get("seconds", ["1"])[0]))
        await _json(send, 200, {"slow": True})
    else:
        await _json(send, 404, {"error": {"code": "not_found", "message": path}})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _websocket(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()  # websocket.connect
    if scope["path"] == "/ws/refuse":
        await send({"type": "websocket.close", "code": 1008})
        return
    subprotocols = scope.get("subprotocols") or []
    await send(
        {"type": "websocket.accept", "subprotocol": subprotocols[0] if subprotocols else None}
    )
    hello = {
        "upstream": NAME.decode(),
        "query": scope["query_string"].decode(),
        "subprotocols": subprotocols,
    }
    await send({"type": "websocket.send", "text": json.dumps(hello)})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            socket_id = parse_qs(scope["query_string"].decode()).get("id")
            if socket_id:
                CLOSES[socket_id[0]] = message.get("code", 1000)
            return
        text = message.get("text")
        if text is not None and text.startswith("close:"):
            await send(
                {"type": "websocket.close", "code": int(text.split(":", 1)[1]), "reason": "asked"}
            )
            return
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})
