"""The upstreams: a forwarding client, an aiohttp session, a breaker and a health probe each.

Forwarded requests go through `UpstreamClient` (pooled keep-alive connections, sized
to the upstream's `pool_size`; see `proxy.upstream_client` for why not aiohttp).
Shadow calls and WebSockets use one long-lived aiohttp session per upstream, created
in the lifespan of one worker and reused by every call: no cookie jar
(a shared jar would leak one user's `Set-Cookie` into the next user's request), no
automatic decompression, no auto-added headers, redirects never followed (that is
per request). The keep-alive timeout stays below uvicorn's 5 s so the proxy does not
reuse a connection the upstream is about to close.

Each upstream also has a circuit breaker (`proxy.breaker`, per worker, keyed by URL
like the pool) and an HTTP health probe (`proxy.health`), whose result is cached
for a moment and shared by concurrent callers so readiness checks never pile up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping

import aiohttp

from proxy.breaker import Breaker
from proxy.config import RoutesConfig, Upstream
from proxy.config.resilience import BreakerSettings, HealthCheck
from proxy.health import ProbeResult, http_probe
from proxy.upstream_client import UpstreamClient

__all__ = ["SKIP_AUTO_HEADERS", "Upstreams"]

SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
log = logging.getLogger("strangler.proxy")

KEEPALIVE_TIMEOUT = 4.0
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
        self._breakers: dict[str, Breaker] = {}
        self._probes: dict[str, tuple[float, ProbeResult]] = {}  # by URL
        self._probing: dict[str, asyncio.Task[ProbeResult]] = {}
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
        for name, spec in self.specs.items():  # new thresholds apply at once, state kept
            breaker = self._breakers.get(self.urls[name])
            if breaker is not None:
                breaker.settings = spec.breaker

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

    def breaker(self, name: str) -> Breaker:
        """The circuit breaker of an upstream in this worker; keyed by URL, so a reload
        that moves an upstream starts it closed."""
        url = self.urls[name]
        breaker = self._breakers.get(url)
        if breaker is None:
            spec = self.specs.get(name)
            breaker = self._breakers[url] = Breaker(
                spec.breaker if spec is not None else BreakerSettings(), name
            )
        return breaker

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
        probing, self._probing = self._probing, {}
        for task in probing.values():
            task.cancel()
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            with contextlib.suppress(Exception):
                await session.close()

    async def probe(self, name: str) -> tuple[bool, str]:
        """Is the upstream's HTTP server answering? (ok, detail), cached for a moment."""
        result = await self.health(name)
        return result.ok, result.detail

    async def health(self, name: str) -> ProbeResult:
        """The upstream's HTTP health probe, at most `PROBE_CACHE_SECONDS` old.

        Concurrent callers share one probe in flight; it is shielded, so a caller that
        gives up (a readiness client timing out) does not cancel it for the others.
        """
        url = self.urls[name]
        cached = self._probes.get(url)
        if cached is not None and time.monotonic() - cached[0] < PROBE_CACHE_SECONDS:
            return cached[1]
        task = self._probing.get(url)
        if task is None:
            spec = self.specs.get(name)
            check = spec.health if spec is not None else HealthCheck()
            task = asyncio.create_task(self._probe(url, check), name=f"strangler-probe-{name}")
            self._probing[url] = task
        return await asyncio.shield(task)

    async def health_of(self, names: Iterable[str]) -> dict[str, ProbeResult]:
        """Several upstreams probed side by side (the slowest bounds the wait)."""
        names = list(names)
        results = await asyncio.gather(*(self.health(name) for name in names))
        return dict(zip(names, results, strict=True))

    def checked_ago(self, name: str) -> float | None:
        """Seconds since the upstream's last finished probe, None if never probed."""
        cached = self._probes.get(self.urls[name])
        return None if cached is None else time.monotonic() - cached[0]

    async def _probe(self, url: str, check: HealthCheck) -> ProbeResult:
        try:
            result = await http_probe(url, check.path, check.timeout)
        except Exception as exc:  # a probe must answer "down", never raise into readyz
            log.exception("health probe of %s failed", url)
            result = ProbeResult(False, f"health probe failed: {type(exc).__name__}")
        finally:
            self._probing.pop(url, None)
        self._probes[url] = (time.monotonic(), result)
        return result
