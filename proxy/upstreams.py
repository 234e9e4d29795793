"""The upstreams: a forwarding client and an aiohttp session each, and a reachability probe.

Forwarded requests go through `UpstreamClient` (pooled keep-alive connections, sized
to the upstream's `pool_size`; see `proxy.upstream_client` for why not aiohttp).
Shadow calls and WebSockets use one long-lived aiohttp session per upstream, created
in the lifespan of one worker and reused by every call: no cookie jar
(a shared jar would leak one user's `Set-Cookie` into the next user's request), no
automatic decompression, no auto-added headers, redirects never followed (that is
per request). The keep-alive timeout stays below uvicorn's 5 s so the proxy does not
reuse a connection the upstream is about to close.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import aiohttp

from proxy.config import RoutesConfig, Upstream
from proxy.upstream_client import UpstreamClient

__all__ = ["SKIP_AUTO_HEADERS", "Upstreams"]

SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
KEEPALIVE_TIMEOUT = 4.0
PROBE_TIMEOUT = 0.5
PROBE_CACHE_SECONDS = 2.0
MAX_HEADER_FIELD = 65536
DEFAULT_POOL = 100


class Upstreams:
    """Sessions, URLs and timeouts of the upstreams named in routes.yaml.

    Parameters:
        config: the route table in force (its `upstreams` section).
        overrides: URLs that win over the file (LEGACY_URL / MODERN_URL), by name.
    """

    def __init__(self, config: RoutesConfig, overrides: Mapping[str, str]) -> None:
        self._overrides = {name: url.rstrip("/") for name, url in overrides.items() if url}
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._clients: dict[str, UpstreamClient] = {}
        self._probes: dict[str, tuple[float, bool, str]] = {}
        self.update(config)

    def update(self, config: RoutesConfig) -> None:
        """Take the upstream URLs and timeouts of a newly loaded table.

        A pool size change applies to sessions created from now on (new upstream
        names); existing pools keep their size until the worker restarts.
        """
        self.specs: dict[str, Upstream] = dict(config.upstreams)
        self.urls: dict[str, str] = {
            name: self._overrides.get(name, spec.url) for name, spec in self.specs.items()
        }

    def url(self, name: str) -> str:
        return self.urls[name]

    def client(self, name: str) -> UpstreamClient:
        """The forwarding client of an upstream, created on first use; keyed by URL, so
        a reload that moves an upstream gets a new pool."""
        url = self.urls[name]
        client = self._clients.get(url)
        if client is None:
            spec = self.specs.get(name)
            pool = spec.pool_size if spec is not None else DEFAULT_POOL
            client = self._clients[url] = UpstreamClient(
                url, limit=pool, keepalive=KEEPALIVE_TIMEOUT
            )
        return client

    def session(self, name: str) -> aiohttp.ClientSession:
        """The aiohttp session of an upstream (shadow calls), created on first use."""
        session = self._sessions.get(name)
        if session is None:
            spec = self.specs.get(name)
            session = self._sessions[name] = self._new_session(
                spec.pool_size if spec is not None else DEFAULT_POOL
            )
        return session

    def ws_session(self, name: str) -> aiohttp.ClientSession:
        """The WebSocket session of an upstream: an open socket holds its connection for
        as long as it lives, so sockets get their own unbounded pool and can never
        starve HTTP requests of connections."""
        key = "ws:" + name
        session = self._sessions.get(key)
        if session is None:
            session = self._sessions[key] = self._new_session(0)
        return session

    @staticmethod
    def _new_session(pool: int) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=pool, limit_per_host=0, keepalive_timeout=KEEPALIVE_TIMEOUT
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=SKIP_AUTO_HEADERS,
            timeout=aiohttp.ClientTimeout(total=None),
            max_field_size=MAX_HEADER_FIELD,
            max_line_size=MAX_HEADER_FIELD,
        )

    def default_timeout(self, name: str) -> float:
        spec = self.specs.get(name)
        return spec.timeout if spec is not None else 30.0

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            with contextlib.suppress(Exception):
                await session.close()

    async def probe(self, name: str) -> tuple[bool, str]:
        """Can we open a TCP connection to the upstream? Cached for a short while."""
        now = time.monotonic()
        cached = self._probes.get(name)
        if cached is not None and now - cached[0] < PROBE_CACHE_SECONDS:
            return cached[1], cached[2]
        parts = urlsplit(self.urls[name])
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(parts.hostname, port), PROBE_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            result = (False, f"{parts.hostname}:{port} unreachable: {exc or type(exc).__name__}")
        else:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            result = (True, "ok")
        self._probes[name] = (now, *result)
        return result
