"""The pool of keep-alive connections to one upstream, and sending a request on one."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from proxy.upstream_client._connection import Connection, UpstreamResponse
from proxy.upstream_client._errors import ConnectFailed


class UpstreamClient:
    """Pooled HTTP/1.1 connections to one upstream, for one worker's event loop.

    Parameters:
        url: the upstream's base URL (`http://host:port[/prefix]`, or https); a path
            prefix is put before every request's target.
        limit: most connections open at once; requests beyond it wait for one.
        keepalive: seconds an idle connection may be reused.
    """

    def __init__(self, url: str, *, limit: int, keepalive: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.ssl: ssl.SSLContext | None = (
            ssl.create_default_context() if parts.scheme == "https" else None
        )
        self.limit = limit
        self.keepalive = keepalive
        host = self.host if ":" not in self.host else f"[{self.host}]"
        self._authority = f"{host}:{self.port}"
        self._idle: deque[Connection] = deque()
        self._open: set[Connection] = set()
        self._connecting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | AsyncIterator[bytes] | None,
        timeout: float,
    ) -> UpstreamResponse:
        """Send one request and return once the response head has arrived.

        `target` is the path and query, sent byte for byte. `headers` go as given: a
        `Host` among them wins over the upstream's own, and a `Content-Length` among
        them frames the body (sent raw, even streamed); otherwise the client frames
        it (Content-Length for bytes, chunked for a stream).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        lines = [f"{method} {self.prefix}{target} HTTP/1.1\r\n"]
        has_host = framed = False
        for name, value in headers:
            lines.append(f"{name}: {value}\r\n")
            if len(name) in (4, 14):  # cheap test first: most headers are neither
                lower = name.lower()
                has_host = has_host or lower == "host"
                framed = framed or lower == "content-length"
        if not has_host:
            lines.insert(1, f"Host: {self._authority}\r\n")
        streamed = body is not None and not isinstance(body, bytes)
        if framed:
            lines.append("\r\n")
        elif streamed:
            lines.append("Transfer-Encoding: chunked\r\n\r\n")
        elif body or method not in _NO_BODY_METHODS:
            lines.append(f"Content-Length: {len(body) if isinstance(body, bytes) else 0}\r\n\r\n")
        else:
            lines.append("\r\n")
        head = "".join(lines).encode("latin-1")
        if isinstance(body, bytes) and len(body) < 65536:
            head += body  # one write, one packet: the common small API call
            body = None
        conn = await self._acquire(deadline)  # after the head is built: nothing can leak it
        started = conn.start(head, no_body=method == "HEAD", deadline=deadline, timeout=timeout)
        writer = None
        if isinstance(body, bytes):
            conn.transport.write(body)  # type: ignore[union-attr]  # start() asserted it is set
        elif body is not None:
            writer = loop.create_task(_write_stream(conn, body, chunked=not framed))
        conn.writer = writer
        try:
            return await started
        except BaseException:
            conn.abandon()
            raise

    # -- the pool ------------------------------------------------------------------------

    async def _acquire(self, deadline: float) -> Connection:
        loop = asyncio.get_running_loop()
        while True:
            conn = self._take_idle()
            if conn is not None:
                return conn
            if len(self._open) + self._connecting < self.limit:
                return await self._connect(loop, deadline)
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except BaseException as exc:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # woken, then timed out or cancelled: pass it on
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
                if isinstance(exc, TimeoutError):
                    raise TimeoutError("no upstream connection free in time") from None
                raise

    def _take_idle(self) -> Connection | None:
        idle = self._idle
        oldest_usable = time.monotonic() - self.keepalive
        while idle:
            conn = idle.pop()  # the most recently used: least likely to be closing
            if not conn.closed and conn.idle_since > oldest_usable and conn.usable():
                return conn
            conn.close()
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float) -> Connection:
        self._connecting += 1
        try:
            async with asyncio.timeout_at(deadline):
                _, conn = await loop.create_connection(
                    lambda: Connection(self), self.host, self.port, ssl=self.ssl
                )
        except OSError as exc:
            raise ConnectFailed(f"cannot connect to {self._authority}: {exc}") from exc
        finally:
            self._connecting -= 1
            self._wake_one()
        self._open.add(conn)
        return conn

    def give_back(self, conn: Connection) -> None:
        conn.idle_since = time.monotonic()
        self._idle.append(conn)
        self._wake_one()

    def forget(self, conn: Connection) -> None:
        self._open.discard(conn)
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Close every connection (the worker is shutting down)."""
        for conn in list(self._open):
            conn.close()
        self._idle.clear()


_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "CONNECT"})


async def _write_stream(conn: Connection, body: AsyncIterator[bytes], *, chunked: bool) -> None:
    """Stream a body: as HTTP/1.1 chunks, or raw when the head declared its length.

    A body that fails (over its limit, the client gone) closes the connection: the
    upstream must not take a truncated body for a whole one. The forwarder learns
    why from the body's own flags.
    """
    try:
        async for chunk in body:
            if chunk:
                await conn.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            await conn.write(b"0\r\n\r\n")
    except Exception:
        conn.close()
