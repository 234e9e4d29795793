"""Request and response bodies on the data path: streamed, counted, optionally teed.

A request body that arrives in one ASGI message (nearly every API call) is kept as
bytes, so it can be replayed for a retry or a fallback. A larger one is streamed to
the upstream as it arrives, counted against the route's limit, and copied up to the
capture cap only when shadow comparison wants it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from proxy.types import Receive

__all__ = ["BodyTooLarge", "ClientGone", "RequestBody", "Tee"]


class BodyTooLarge(Exception):
    """The request body went over the route's limit while it was read."""


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


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
    """The client's body: whole bytes when it came in one piece, else a stream.

    Parameters:
        receive: the ASGI receive callable.
        limit: the route's max_body_bytes.
        tee: where to copy the body for shadow comparison, or None.
    """

    __slots__ = ("_first", "_receive", "data", "gone", "limit", "tee", "too_large")

    def __init__(self, receive: Receive, limit: int, tee: Tee | None) -> None:
        self._receive = receive
        self.limit = limit
        self.tee = tee
        self.data: bytes | None = None
        self._first = b""
        self.too_large = False
        self.gone = False

    async def start(self) -> None:
        """Read the first message of a body the headers announced; one piece becomes `data`.

        A request without Content-Length or chunked encoding has no body: the caller
        sets `data = b""` instead of calling this. Raises BodyTooLarge or ClientGone.
        """
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self.gone = True
            raise ClientGone
        chunk = message.get("body", b"")
        if len(chunk) > self.limit:
            self.too_large = True
            raise BodyTooLarge
        if self.tee is not None:
            self.tee.feed(chunk)
        if message.get("more_body", False):
            self._first = chunk
        else:
            self.data = chunk

    @property
    def replayable(self) -> bool:
        return self.data is not None

    def payload(self) -> bytes | AsyncIterator[bytes] | None:
        """What goes upstream: None (no body), the bytes, or a one-shot stream."""
        if self.data is not None:
            return self.data or None
        return self._stream()

    async def _stream(self) -> AsyncIterator[bytes]:
        seen = len(self._first)
        yield self._first
        receive, limit, tee = self._receive, self.limit, self.tee
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                raise ClientGone
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                self.too_large = True
                raise BodyTooLarge
            if tee is not None:
                tee.feed(chunk)
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return
