"""One keep-alive connection to an upstream and the response it is reading.

httptools calls the connection's `on_*` methods as bytes arrive; the response is what
the forwarder holds: its head, then body chunks handed over with flow control.
"""

from __future__ import annotations

import asyncio
import select
from collections import deque
from typing import Protocol, cast

import httptools

from proxy.upstream_client._errors import BadResponse, Disconnected, UpstreamError

MAX_HEAD_BYTES = 256 * 1024
READ_HIGH_WATER = 256 * 1024  # buffered body bytes that pause reading from the upstream


class _StrayBytes(Exception):
    """Raised inside a parser callback to stop at bytes that follow a whole response."""


class UpstreamResponse:
    """A response whose head has arrived; the body is read with `read()` until b"".

    `release()` must follow (the forwarder does it in a `finally`): it returns the
    connection to the pool after a complete exchange, else closes it.
    """

    __slots__ = (
        "_buffered",
        "_chunks",
        "_conn",
        "_done",
        "_error",
        "_timer",
        "_waiter",
        "content_length",
        "raw_headers",
        "status",
    )

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.status = 0
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.content_length: int | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._done = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def read(self) -> bytes:
        """Whatever body bytes have arrived (waiting for some), or b"" at the end."""
        while not self._chunks:
            if self._error is not None:
                raise self._error
            if self._done:
                return b""
            self._waiter = self._conn.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        chunks = self._chunks
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        if self._buffered > READ_HIGH_WATER:
            self._conn.resume_reading()
        self._buffered = 0
        return data

    def at_eof(self) -> bool:
        """The whole body has arrived and been read."""
        return self._done and not self._chunks

    def release(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._conn.finished(self, reusable=self._done and not self._chunks)

    # -- fed by the connection -----------------------------------------------------------

    def _feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        if self._buffered > READ_HIGH_WATER:
            self._conn.pause_reading()
        self._wake()

    def _finish(self) -> None:
        self._done = True
        self._wake()

    def _fail(self, error: BaseException) -> None:
        if not self._done and self._error is None:
            self._error = error
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Pool(Protocol):
    """What a connection needs from the client that owns it. A protocol, not an import
    of the client: the client imports this module, and the two must not form a cycle."""

    def give_back(self, conn: Connection) -> None: ...

    def forget(self, conn: Connection) -> None: ...


class Connection(asyncio.Protocol):
    """One keep-alive connection to the upstream; httptools calls its `on_*` methods."""

    def __init__(self, client: Pool) -> None:
        self.client = client
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser: httptools.HttpResponseParser | None = None
        self._head_bytes = 0
        self._response: UpstreamResponse | None = None
        self._head: asyncio.Future[UpstreamResponse] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._no_body = False  # a HEAD request: the head is the whole response
        self._interim = False
        self._framed = False  # Content-Length or chunked: EOF before the end is a failure
        self._keep_alive = False
        self._paused = False
        self._writable: asyncio.Future[None] | None = None
        self.writer: asyncio.Task[None] | None = None  # a streamed request body
        self._poller: select.poll | None = None  # readiness of the idle socket
        # The exchange's final response is whole: any byte after it is not ours to read.
        self._complete = False
        self._stray = False  # bytes came that no request asked for: never reuse

    # -- one exchange --------------------------------------------------------------------

    def start(
        self, head: bytes, *, no_body: bool, deadline: float, timeout: float
    ) -> asyncio.Future[UpstreamResponse]:
        """Send a request head; the future resolves with the response head. At the
        loop time `deadline` (`timeout` s after the request began) the whole exchange,
        body included, times out."""
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._head_bytes = 0
        self._headers = []
        self._no_body = no_body
        self._interim = False
        self._framed = False
        self._keep_alive = False
        self._complete = False
        self._response = response = UpstreamResponse(self)
        response._timer = self.loop.call_at(deadline, self.time_out, timeout)
        self._head = self.loop.create_future()
        self.transport.write(head)
        return self._head

    async def write(self, data: bytes) -> None:
        """Write part of a streamed body, waiting while the upstream reads slowly."""
        if self.closed or self.transport is None:
            raise Disconnected("the upstream closed the connection while the body was sent")
        self.transport.write(data)
        if self._writable is not None:
            await self._writable

    def finished(self, response: UpstreamResponse, *, reusable: bool) -> None:
        if self._response is not response:
            return
        self._response = None
        writer, self.writer = self.writer, None
        if writer is not None and not writer.done():
            writer.cancel()  # answered before the body was all sent: the stream is cut
            reusable = False
        if reusable and self._keep_alive and not self._paused and self._sound():
            self.client.give_back(self)
        else:
            self.close()

    def abandon(self) -> None:
        """The exchange ended before its response head: stop its timer, drop the socket."""
        if self._response is not None:
            self._response.release()  # incomplete, so the connection is closed
        else:
            self.close()

    def _sound(self) -> bool:
        """Open, and no byte read beyond the exchange (the check on release)."""
        transport = self.transport
        return not (transport is None or self.closed or self._stray or transport.is_closing())

    def usable(self) -> bool:
        """Safe to send the next request on (the check before reuse): sound, and nothing
        waiting unread in the socket.

        Bytes the loop has read outside an exchange already closed the connection
        (`data_received`); bytes or an EOF that arrived while the loop was busy are
        still in the socket, where only a poll sees them. They are a closing upstream
        or a response meant for nobody; read as the next request's answer they would
        hand one user another's response, so the connection is dropped instead. One
        zero-timeout poll per reuse, about a microsecond.
        """
        return self._sound() and (self._poller is None or not self._poller.poll(0))

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()

    def pause_reading(self) -> None:
        if not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # create_connection always hands a stream protocol a full Transport.
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and transport.get_extra_info("sslcontext") is None:
            # TLS has records of its own below HTTP (e.g. session tickets): an idle
            # TLS socket may be readable for a good reason, so only plain ones are polled.
            self._poller = select.poll()
            self._poller.register(sock.fileno(), select.POLLIN | select.POLLPRI)

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if parser is None or self._response is None or self._complete:
            self._drop_stray()  # bytes nobody asked for: the connection cannot be trusted
            return
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._abort(BadResponse("the upstream switched protocols on a plain request"))
            return
        except httptools.HttpParserError as exc:
            if self._complete:  # the answer was whole; what followed it was not asked for
                self._drop_stray()
            else:  # includes conflicting framing: two Content-Lengths, CL with TE
                self._abort(BadResponse(f"invalid HTTP response: {exc}"))
            return
        if self._head is not None:  # still no complete head: count what it has cost
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._abort(BadResponse(f"response head over {MAX_HEAD_BYTES} bytes"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.client.forget(self)
        response = self._response
        if self._head is not None:
            self._resolve_head(Disconnected("the upstream closed the connection before answering"))
        elif response is not None and not response._done:
            if self._framed or self._no_body:
                response._fail(Disconnected("the upstream closed the connection mid-body"))
            else:
                response._finish()  # a body delimited by the end of the connection
        writable = self._writable
        if writable is not None and not writable.done():
            writable.set_result(None)

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = self.loop.create_future()

    def resume_writing(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    # -- httptools callbacks -------------------------------------------------------------
    # One read never yields more than one response: once the final response is whole,
    # a callback for anything after it raises, which stops the parser mid-buffer.

    def on_message_begin(self) -> None:
        if self._complete:
            raise _StrayBytes

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self._parser
        response = self._response
        assert parser is not None and response is not None
        status = parser.get_status_code()
        if 100 <= status < 200:
            self._interim = True  # 100 Continue and friends: the real answer follows
            self._headers = []
            return
        response.status = status
        response.raw_headers = self._headers
        for name, value in self._headers:
            lower = name.lower()
            if lower == b"content-length":
                self._framed = True
                if value.strip().isdigit():
                    response.content_length = int(value)
            elif lower == b"transfer-encoding":
                self._framed = True
        if self._no_body or status in (204, 304):
            response.content_length = None
            self._keep_alive = parser.should_keep_alive()
            self._complete = True
            response._finish()
            self._parser = None  # httptools would wait for the body a HEAD never gets
        self._resolve_head(response)

    def on_body(self, body: bytes) -> None:
        if self._complete:
            raise _StrayBytes  # e.g. a "body" after the head of a HEAD answer
        response = self._response
        if response is not None and not response._done:
            response._feed(body)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        parser, response = self._parser, self._response
        if parser is not None and response is not None and not self._complete:
            self._keep_alive = parser.should_keep_alive()
            self._complete = True
            response._finish()

    # -- helpers -------------------------------------------------------------------------

    def _resolve_head(self, outcome: UpstreamResponse | BaseException) -> None:
        head, self._head = self._head, None
        if head is None or head.done():
            return
        if isinstance(outcome, BaseException):
            head.set_exception(outcome)
        else:
            head.set_result(outcome)

    def _drop_stray(self) -> None:
        """Close a connection that sent bytes outside any exchange; nobody reads them."""
        self._stray = True
        self.close()

    def _abort(self, error: UpstreamError) -> None:
        self._resolve_head(error)
        if self._response is not None:
            self._response._fail(error)
        self.close()

    def time_out(self, seconds: float) -> None:
        error = TimeoutError(f"no complete answer within {seconds:g} s")
        self._resolve_head(error)
        if self._response is not None:
            self._response._fail(error)
        self.close()
