"""Request bodies on the data path: read under time limits, counted, optionally teed.

A small body (up to the edge's `body_buffer_bytes`) is read whole before any
upstream connection is taken, so a client that sends it slowly holds only its own
connection, never a pooled one; kept as bytes, it can also be replayed for a retry
or a fallback. A larger one is streamed to the upstream as it arrives, counted
against the route's limit, and copied up to the capture cap only when shadow
comparison wants it. Every wait for the client is bounded: `body_timeout` for the
next piece, and an average of at least `body_min_rate` bytes per second once that
much time has been spent waiting (time the upstream makes us wait does not count).
A stalled upload so ends within the body timeout, and with it the upstream
connection it was streaming into.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from proxy.edge.deadlines import wait_before
from proxy.edge.limits import EdgeLimits
from proxy.types import Message, Receive

__all__ = ["BodyTimeout", "BodyTooLarge", "ClientGone", "RequestBody", "Tee"]

_DEFAULT_EDGE = EdgeLimits()


class BodyTooLarge(Exception):
    """The request body went over the route's limit while it was read."""


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


class BodyTimeout(Exception):
    """The client sent its request body too slowly: idle past the body timeout, or
    under the minimum rate."""


class Tee:
    """Copies up to `cap` bytes of a stream; past the cap the copy is abandoned.

    Parameters:
        cap: the largest body worth keeping (the shadow sink's capture limit).
    """

    __slots__ = ("_buf", "cap", "skipped")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._buf: bytearray | None = bytearray()
        self.skipped: str | None = None

    def feed(self, chunk: bytes) -> None:
        buf = self._buf
        if buf is None:
            return
        if len(buf) + len(chunk) > self.cap:
            self._buf = None
            self.skipped = f"body over {self.cap} bytes"
        else:
            buf += chunk

    def value(self) -> bytes | None:
        return bytes(self._buf) if self._buf is not None else None


class RequestBody:
    """The client's body: whole bytes when it is small, else a stream.

    Parameters:
        receive: the ASGI receive callable.
        limit: the route's max_body_bytes.
        tee: where to copy the body for shadow comparison, or None.
        edge: the buffering threshold and the time limits (`EdgeLimits`).
    """

    __slots__ = (
        "_edge",
        "_first",
        "_receive",
        "_seen",
        "_waited",
        "data",
        "gone",
        "limit",
        "tee",
        "timed_out",
        "too_large",
    )

    def __init__(
        self, receive: Receive, limit: int, tee: Tee | None, edge: EdgeLimits = _DEFAULT_EDGE
    ) -> None:
        self._receive = receive
        self.limit = limit
        self.tee = tee
        self._edge = edge
        self.data: bytes | None = None
        self._first = b""
        self._seen = 0
        self._waited = 0.0
        self.too_large = False
        self.gone = False
        self.timed_out = False

    async def start(self, declared: int | None = None) -> None:
        """Read the body's beginning; a body that ends within the buffer becomes `data`.

        `declared` is the Content-Length (None when chunked). A body declared larger
        than the buffer is streamed from its first message on; any other is read
        until it ends or fills the buffer. A request without a body has no call here:
        the caller sets `data = b""`. Raises BodyTooLarge, BodyTimeout or ClientGone.
        """
        buffer = self._edge.body_buffer_bytes
        read_whole = declared is None or declared <= buffer
        chunks: list[bytes] = []
        while True:
            message = await self._next()
            chunk = message.get("body", b"")
            self._take(chunk)
            if not message.get("more_body", False):
                self.data = b"".join((*chunks, chunk)) if chunks else chunk
                return
            if chunk:
                chunks.append(chunk)
            if not read_whole or self._seen >= buffer:
                self._first = b"".join(chunks)
                return

    @property
    def replayable(self) -> bool:
        return self.data is not None

    def payload(self) -> bytes | AsyncIterator[bytes] | None:
        """What goes upstream: None (no body), the bytes, or a one-shot stream."""
        if self.data is not None:
            return self.data or None
        return self._stream()

    async def _stream(self) -> AsyncIterator[bytes]:
        yield self._first
        while True:
            message = await self._next()
            chunk = message.get("body", b"")
            self._take(chunk)
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def _next(self) -> Message:
        """The next body message, waited for no longer than the limits allow."""
        edge = self._edge
        allowed = edge.body_timeout
        if edge.body_min_rate:
            # Rate rule: time spent waiting may not exceed the grace period plus the
            # time the bytes seen so far buy at the minimum rate.
            allowed = min(
                allowed, edge.body_timeout + self._seen / edge.body_min_rate - self._waited
            )
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            message = await wait_before(began + allowed, self._receive())
        except TimeoutError:
            self.timed_out = True
            raise BodyTimeout(self.timeout_message()) from None
        self._waited += loop.time() - began
        if message["type"] == "http.disconnect":
            self.gone = True
            raise ClientGone
        return message

    def _take(self, chunk: bytes) -> None:
        self._seen += len(chunk)
        if self._seen > self.limit:
            self.too_large = True
            raise BodyTooLarge
        if self.tee is not None:
            self.tee.feed(chunk)

    def timeout_message(self) -> str:
        edge = self._edge
        rate = f" or under {edge.body_min_rate} bytes/s" if edge.body_min_rate else ""
        return f"request body not received in time (nothing for {edge.body_timeout:g} s{rate})"
