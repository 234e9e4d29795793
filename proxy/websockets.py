"""WebSocket proxying: choose the upstream at the handshake, then relay frames both ways.

The target is decided once, by the same stage and canary rules as HTTP, and never
revisited: a reload changes where new sockets go, never an open one. The client's
subprotocols, query string and end-to-end headers go to the upstream handshake; if
the upstream refuses, the client's handshake is refused with the upstream's status
(through the `websocket.http.response` extension when the server offers it, else a
plain 403). Text and binary frames and close codes cross in both directions; pings
are answered by each side's own server, as ASGI does not expose them. When the
server stops (`going_away`), every open relay closes both sides with 1001.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import aiohttp
from yarl import URL

from proxy.canary import choose_target
from proxy.headers import request_headers
from proxy.responses import public_message, send_error
from proxy.routing import RouteTable, unmapped_key
from proxy.stats import UNMAPPED_ROUTE, Stats
from proxy.types import Receive, Scope, Send
from proxy.upstreams import Upstreams

__all__ = ["WebSocketRelay"]

log = logging.getLogger("strangler.proxy.websockets")

GOING_AWAY = 1001  # RFC 6455: the server is going down; a client reconnects elsewhere
MAX_MESSAGE = 16 * 1024 * 1024  # uvicorn's default ws_max_size on the client side
HANDSHAKE_TIMEOUT = 10.0
_RESERVED_CLOSE_CODES = frozenset({1004, 1005, 1006, 1015})
_HANDSHAKE_HEADERS = frozenset(
    {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
     "sec-websocket-protocol", "sec-websocket-accept"}
)  # fmt: skip


def _sendable(code: int | None, default: int) -> int:
    """Close codes that may not appear in a close frame become `default`."""
    if code is None or code in _RESERVED_CLOSE_CODES or not 1000 <= code <= 4999:
        return default
    return code


class WebSocketRelay:
    """Proxies one WebSocket connection.

    Parameters:
        upstreams: sessions and URLs.
        stats: the worker's counters (a handshake counts as one request).
    """

    def __init__(self, upstreams: Upstreams, stats: Stats) -> None:
        self.upstreams = upstreams
        self.stats = stats
        self._open: set[asyncio.Event] = set()
        self._closed = asyncio.Condition()

    async def going_away(self) -> None:
        """Close every open relay with 1001 on both sides; returns once they are closed.

        The caller bounds the wait: a relay stuck writing to a dead client must not
        hold up the server's stop.
        """
        for going in list(self._open):
            going.set()
        async with self._closed:
            await self._closed.wait_for(lambda: not self._open)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, table: RouteTable) -> None:
        started = time.perf_counter()
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        client = scope.get("client")
        fwd = request_headers(
            scope["headers"],
            client_host=client[0] if client else None,
            scheme="https" if scope.get("scheme") == "wss" else "http",
        )
        matched = table.match("GET", scope["path"], websocket=True)
        if matched is None:
            route_id, target = UNMAPPED_ROUTE, "legacy"
            self.stats.unmapped(unmapped_key(scope["path"]))
        else:
            route, params = matched
            route_id = route.id
            target = choose_target(
                route, scope, params, authorization=fwd.authorization,
                missing=self.stats.sticky_missing,
            )  # fmt: skip
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        url = self.upstreams.url(target) + raw_path.decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        headers = [(k, v) for k, v in fwd.headers if k.lower() not in _HANDSHAKE_HEADERS]
        try:
            upstream = await asyncio.wait_for(
                self.upstreams.ws_session(target).ws_connect(
                    URL(url, encoded=True),
                    protocols=scope.get("subprotocols") or (),
                    headers=headers,
                    autoclose=False,
                    autoping=True,
                    max_msg_size=MAX_MESSAGE,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
                ),
                HANDSHAKE_TIMEOUT,
            )
        except aiohttp.WSServerHandshakeError as exc:
            self.stats.request(route_id, target, time.perf_counter() - started)
            await _refuse(scope, send, exc.status, "upstream refused the WebSocket handshake")
            return
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.stats.error(route_id, target, 502)
            self.stats.request(route_id, target, time.perf_counter() - started)
            log.warning("WebSocket %s → 502 (%s): %s: %r", route_id, fwd.request_id, target, exc)
            await _refuse(scope, send, 502, public_message(502), fwd.request_id)
            return
        self.stats.request(route_id, target, time.perf_counter() - started)
        going = asyncio.Event()
        self._open.add(going)
        try:
            async with contextlib.AsyncExitStack() as stack:
                stack.push_async_callback(upstream.close)
                await send({"type": "websocket.accept", "subprotocol": upstream.protocol})
                await _relay(receive, send, upstream, going)
        finally:
            self._open.discard(going)
            async with self._closed:
                self._closed.notify_all()


async def _relay(
    receive: Receive, send: Send, upstream: aiohttp.ClientWebSocketResponse, going: asyncio.Event
) -> None:
    """Pump frames both ways until either side closes, then close the other side;
    when `going` is set first, close both with 1001."""
    client_task = asyncio.create_task(_client_to_upstream(receive, upstream))
    upstream_task = asyncio.create_task(_upstream_to_client(upstream, send))
    going_task = asyncio.create_task(going.wait())
    done, pending = await asyncio.wait(
        {client_task, upstream_task, going_task}, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if going_task in done and not (client_task in done or upstream_task in done):
        with contextlib.suppress(Exception):
            await upstream.close(code=GOING_AWAY)
        with contextlib.suppress(Exception):
            await send({"type": "websocket.close", "code": GOING_AWAY})
        return
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.warning("WebSocket relay ended with %r", task.exception())


async def _client_to_upstream(receive: Receive, upstream: aiohttp.ClientWebSocketResponse) -> None:
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            if text is not None:
                await upstream.send_str(text)
            else:
                await upstream.send_bytes(message.get("bytes") or b"")
        elif kind == "websocket.disconnect":
            code = _sendable(message.get("code"), 1000)
            reason = (message.get("reason") or "").encode()
            await upstream.close(code=code, message=reason)
            return


async def _upstream_to_client(upstream: aiohttp.ClientWebSocketResponse, send: Send) -> None:
    code, reason = 1011, ""
    while True:
        message = await upstream.receive()
        kind = message.type
        if kind is aiohttp.WSMsgType.TEXT:
            await send({"type": "websocket.send", "text": message.data})
        elif kind is aiohttp.WSMsgType.BINARY:
            await send({"type": "websocket.send", "bytes": message.data})
        elif kind is aiohttp.WSMsgType.CLOSE:
            code, reason = _sendable(message.data, 1000), message.extra or ""
            with contextlib.suppress(Exception):
                await upstream.close(code=code)
            break
        elif kind in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            code = _sendable(upstream.close_code, 1011)
            break
        elif kind is aiohttp.WSMsgType.ERROR:
            break
    await send({"type": "websocket.close", "code": code, "reason": reason})


async def _refuse(
    scope: Scope, send: Send, status: int, message: str, request_id: str | None = None
) -> None:
    """Refuse the client's handshake, with the upstream's status when the server allows."""
    # A 403 is what a plain close before accept gives anyway, and the extension path
    # makes uvicorn 0.54 log a spurious "returned without completing handshake".
    if status != 403 and "websocket.http.response" in scope.get("extensions", {}):
        await send_error(
            send,
            status,
            "websocket_refused",
            message,
            request_id,
            asgi_type="websocket.http.response",
        )
    else:
        await send({"type": "websocket.close", "code": 1008})
