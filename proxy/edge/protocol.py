"""uvicorn's httptools protocol with the edge's limits (`--http proxy.edge:EdgeProtocol`).

uvicorn's own protocol reads a request head without bound (httptools joins the
pieces of a header value until the value ends, so a 20 MB header is 20 MB in
memory, copied as it grows) and gives a client all the time it likes to finish a
head. `EdgeProtocol` keeps uvicorn's behaviour and adds, per connection:

- a memory guard: bytes fed to the parser that made no progress (no head
  completed, no body byte delivered) are counted, and past `max_head_bytes` the
  request is refused. A connection so holds at most the limit plus one socket
  read (uvloop reads 256 KiB at a time) of unparsed input.
- exact limits once the head is parsed, before the app sees it: request target
  (414), one header field, the number of fields and the whole head (431). Checked
  there rather than field by field: a Python call per field would cost every
  request, and the guard above already bounds the memory.
- trailer fields of a chunked request are dropped: httptools reports them like
  header fields, and uvicorn would append them to the request's header list,
  which the app may not yet have read (RFC 9110 §6.5.1: a proxy may discard them).
- a header timeout from a connection's, or a later request's, first byte (408; a
  connection that sent nothing is closed without an answer).
- a response that leaves the request body unread (408, 413, an early upstream
  answer) ends the connection, so a trickling client cannot keep it.
- optionally, a cap on open connections per client address (429).

Refusals are written here, before the app sees a request, in the app's JSON error
envelope with `Connection: close`. The connection then lingers: it discards input
for up to LINGER_SECONDS before closing, because closing a socket with unread
input resets it and the client could lose the answer (RFC 9112 §9.6).
"""

from __future__ import annotations

import asyncio
import json
import logging
from itertools import chain
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from proxy.edge.limits import EdgeLimits, current_limits

__all__ = ["LINGER_BYTES", "LINGER_SECONDS", "EdgeProtocol"]

log = logging.getLogger("strangler.edge")

LINGER_SECONDS = 2.0
LINGER_BYTES = 4 * 1024 * 1024  # discarding costs CPU only, but not without end
_FIELD_OVERHEAD = 4  # ": " and CRLF around each field, as sent
_UNKNOWN = 1 << 62  # a head size not counted: measure the head


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; `data_received` answers."""


class _ClientSlots:
    """Open connections per client address in this worker process."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    def take(self, host: str, cap: int) -> bool:
        count = self._open.get(host, 0)
        if count >= cap:
            return False
        self._open[host] = count + 1
        return True

    def give_back(self, host: str) -> None:
        count = self._open.get(host, 0) - 1
        if count > 0:
            self._open[host] = count
        else:
            self._open.pop(host, None)


_SLOTS = _ClientSlots()


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's HttpToolsProtocol with bounded heads, slow-client timeouts and a
    per-client connection cap.

    Parameters (besides uvicorn's):
        limits: the bounds; None reads them from the environment (`current_limits`).
    """

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: EdgeLimits | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits if limits is not None else current_limits()
        self._in_head = True  # reading a head, or between requests
        self._head_started = False  # some byte of the current head has arrived
        self._head_fed = 0  # bytes fed since the current head began (an upper bound)
        self._done_scope: Any = None  # the scope of the last request whose body ended
        # A head no longer than this passes every size limit: no need to measure it.
        limits = self.limits
        self._small_head = min(
            limits.max_request_line, limits.max_header_bytes, limits.max_head_bytes
        )
        self._progress = False  # the current feed completed a head or delivered body
        self._unparsed = 0  # bytes fed since the last progress
        # One timer per connection, not per request: a new head only moves the
        # deadline, and the timer, when it fires, re-arms itself for a later one.
        self._head_deadline: float | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str, str] | None = None
        self._lingering = False
        self._linger_timer: asyncio.TimerHandle | None = None
        self._discarded = 0
        self._slot: str | None = None  # the client address holding a slot

    # -- connection ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn narrows BaseTransport to Transport too
        super().connection_made(transport)
        cap = self.limits.max_connections_per_client
        if cap and self.client is not None:
            host = self.client[0]
            if not _SLOTS.take(host, cap):
                message = f"over {cap} open connections from one address"
                self._refuse(429, "too_many_connections", message)
                return
            self._slot = host
        self._start_head_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timers()
        self._release_slot()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            self._discarded += len(data)
            if self._discarded > LINGER_BYTES:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        if self._in_head:
            if self._head_started:
                self._head_fed += len(data)
            else:
                self._head_started = True
                # Counted from this feed's first byte, unless the head began in the last
                # feed, after the request before it ended (pipelining): then unknown.
                fresh = self.scope is self._done_scope
                self._head_fed = len(data) if fresh else _UNKNOWN
                self._start_head_clock()
        self._progress = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(*self._refusal)
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._progress:
            self._unparsed = 0
            return
        self._unparsed += len(data)
        if self._unparsed > self.limits.max_head_bytes:
            if not self._in_head:  # chunk framing or trailers without end: cut it
                log.info("closed a connection from %s: body framing over limit", self._host())
                self.transport.close()
            elif len(self.url) > self.limits.max_request_line:
                self._refuse(*self._url_refusal())
            else:
                self._refuse(431, "head_too_large", self._head_message())

    def handle_websocket_upgrade(self) -> None:
        self._stop_timers()
        super().handle_websocket_upgrade()
        host, self._slot = self._slot, None
        if host is None:
            return
        # The WebSocket protocol now owns the transport and will get its
        # connection_lost; it still holds the client's slot until then.
        protocol = self.transport.get_protocol()
        lost = protocol.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            _SLOTS.give_back(host)
            lost(exc)

        protocol.connection_lost = connection_lost  # type: ignore[method-assign]  # wraps the instance's own, on purpose

    # -- parser callbacks ----------------------------------------------------------------

    def on_headers_complete(self) -> None:
        started, self._head_started = self._head_started, False
        self._in_head = False
        self._head_deadline = None
        self._progress = True
        if len(self.headers) > self.limits.max_headers:
            raise self._stop(
                431, "too_many_headers", f"over {self.limits.max_headers} header fields"
            )
        if not (started and self._head_fed <= self._small_head):  # else: small, all fine
            refusal = self._check_sizes()
            if refusal is not None:
                raise self._stop(*refusal)
        HttpToolsProtocol.on_headers_complete(self)
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            # Trailer fields arrive through on_header too: from now on they land in
            # a list nobody reads. The request's own list is in the scope already.
            # (A WebSocket handshake keeps it: uvicorn re-reads it to upgrade.)
            self.headers = []

    def on_body(self, body: bytes) -> None:
        self._progress = True
        HttpToolsProtocol.on_body(self, body)

    def on_message_complete(self) -> None:
        self._in_head = True
        self._head_started = False
        self._done_scope = self.scope
        self._progress = True
        HttpToolsProtocol.on_message_complete(self)

    def on_response_complete(self) -> None:
        cycle = self.cycle
        if cycle.response_complete and cycle.more_body and not self.transport.is_closing():
            # Answered before the request body ended: what is left of it is not worth
            # reading, and waiting for it would let a slow client keep the connection.
            self.server_state.total_requests += 1
            self._linger()
            return
        super().on_response_complete()

    def _check_sizes(self) -> tuple[int, str, str] | None:
        """The refusal a complete head's sizes earn, or None. Sizes count names,
        values, the target and 4 bytes of framing per field (`: ` and CRLF)."""
        limits, headers = self.limits, self.headers
        if len(self.url) > limits.max_request_line:
            return self._url_refusal()
        fields = sum(map(len, chain.from_iterable(headers)))  # in C: no Python call per field
        largest = limits.max_header_bytes
        if fields > largest and any(len(name) + len(value) > largest for name, value in headers):
            return 431, "header_too_large", f"a header field over {largest} bytes"
        if fields + _FIELD_OVERHEAD * len(headers) + len(self.url) > limits.max_head_bytes:
            return 431, "head_too_large", self._head_message()
        return None

    # -- refusing ------------------------------------------------------------------------

    def _stop(self, status: int, code: str, message: str) -> _Refused:
        self._refusal = (status, code, message)
        return _Refused(message)

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer the request with the proxy's own error and end the connection."""
        if self._lingering or self.transport.is_closing():
            return
        log.info("refused a request from %s: %d %s", self._host(), status, message)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # A pipelined request is refused while an earlier one is still being
            # answered: that answer must not be cut, so the connection ends after it.
            cycle.keep_alive = False
            self._lingering = True
            return
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content += [name, b": ", value, b"\r\n"]
        content += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(content))
        self._linger()

    def _linger(self) -> None:
        """Stop reading requests; close when the client does, or after LINGER_SECONDS."""
        self._lingering = True
        self._head_deadline = None  # the head clock, if it rings, now does nothing
        self._unset_keepalive_if_required()
        if self.transport.can_write_eof():
            self.transport.write_eof()  # after what is buffered: the client sees the end
        self.flow.resume_reading()  # keep draining, so the socket is not reset
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    # -- timers --------------------------------------------------------------------------

    def _start_head_clock(self) -> None:
        """A head has begun (or a connection opened): it must be complete in time."""
        if self._head_deadline is None:
            self._head_deadline = self.loop.time() + self.limits.header_timeout
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_deadline, self._head_clock_rang)

    def _head_clock_rang(self) -> None:
        self._head_timer = None
        deadline = self._head_deadline
        if deadline is None or self._lingering or self.transport.is_closing():
            return  # no head in progress: the next one starts the clock again
        if deadline > self.loop.time():  # a later head moved the deadline
            self._head_timer = self.loop.call_at(deadline, self._head_clock_rang)
            return
        if not self._head_started:
            self.transport.close()  # nothing was sent: nobody to answer
            return
        timeout = self.limits.header_timeout
        self._refuse(408, "request_timeout", f"request head not complete within {timeout:g} s")

    def _stop_timers(self) -> None:
        self._head_deadline = None
        for timer in (self._head_timer, self._linger_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._linger_timer = None

    # -- helpers -------------------------------------------------------------------------

    def _release_slot(self) -> None:
        host, self._slot = self._slot, None
        if host is not None:
            _SLOTS.give_back(host)

    def _host(self) -> str:
        return self.client[0] if self.client else "-"

    def _head_message(self) -> str:
        return f"request head over {self.limits.max_head_bytes} bytes"

    def _url_refusal(self) -> tuple[int, str, str]:
        return 414, "uri_too_long", f"request target over {self.limits.max_request_line} bytes"
