"""What the data path hands to background work: a request and a response, captured.

The hot path (forwarding) captures these only for requests that something off the
request path wants (shadow comparison); everything else streams through untouched.
They are plain immutable values, so a background task can hold them after the
client's connection is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from proxy.responses import Refused
from proxy.types import Scope

if TYPE_CHECKING:
    import aiohttp
    import redis.asyncio

    from proxy.config import Route, RoutesConfig

__all__ = [
    "CapturedRequest",
    "CapturedResponse",
    "Headers",
    "NoShadow",
    "ShadowDeps",
    "ShadowSink",
    "ShadowWindow",
]

Headers = tuple[tuple[str, str], ...]
"""Header pairs in arrival order, names lower-cased, repeats kept (e.g. Set-Cookie)."""


@dataclass(frozen=True, slots=True)
class CapturedRequest:
    """A client request as the proxy received it.

    Parameters:
        route_id: the matched route.
        method, path, query_string: as received (`path` percent-decoded, for display
            and rules; `query_string` raw, without `?`).
        path_params: values of the route template's parameters.
        headers: end-to-end headers (hop-by-hop already removed).
        body: the whole body, or None when it was larger than the capture cap.
        body_skipped: why `body` is None (e.g. "body over 1048576 bytes").
        request_id: the X-Request-ID the proxy used.
        client: the client's address.
        raw_path: the path exactly as the client sent it (percent-encoding kept,
            bytes as latin-1), which is what the upstream received; a mirror sends
            this, never `path`, so `%3F`, `%23`, `%2F` or `%252e` mean to modern what
            they meant to legacy. None only for requests built by hand (tests).
    """

    route_id: str
    method: str
    path: str
    query_string: str
    path_params: dict[str, str]
    headers: Headers
    body: bytes | None
    request_id: str
    client: str | None = None
    body_skipped: str | None = None
    raw_path: str | None = None

    @staticmethod
    def raw_path_of(scope: Scope) -> str:
        """The ASGI request's path as the client sent it, as latin-1 text (byte for byte)."""
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        return raw.decode("latin-1")

    @property
    def target(self) -> str:
        """The request target the upstream received: raw path, then `?` and the query."""
        path = self.raw_path if self.raw_path is not None else self.path
        return f"{path}?{self.query_string}" if self.query_string else path


@dataclass(frozen=True, slots=True)
class CapturedResponse:
    """An upstream's answer, whole.

    Parameters:
        status: HTTP status.
        headers: response headers as received.
        body: the raw body bytes (still content-encoded, e.g. gzip), or None when it
            exceeded the capture cap.
        elapsed: seconds from sending the request to the last body byte.
        upstream: which upstream answered (`legacy`, `modern`, or a shadow upstream).
    """

    status: int
    headers: Headers
    body: bytes | None
    elapsed: float
    upstream: str


class ShadowWindow(Protocol):
    """An evidence window, as the admin answers it (`proxy.shadow.windows.Window`)."""

    def as_json(self) -> dict[str, object]: ...


class ShadowSink(Protocol):
    """Where the data path sends exchanges to be shadow-compared, and what the admin
    app asks of the shadow (status, samples, metrics, settings, overrides, resets).

    Implemented by `proxy.shadow`; the data path and the admin app depend only on
    this protocol, and run with `NoShadow` until a real one is wired in. Every method
    that the data path calls is synchronous and cheap: the rule is that nothing here
    may make the user's response wait for modern. The types are plain (or protocols)
    so that this module never imports the shadow package.
    """

    def wants(self, route: Route, method: str) -> bool:
        """Decide (and count) whether this request is mirrored: stage, method, sampling."""
        ...

    def capture_limit(self, route: Route) -> int:
        """Largest request or response body, in bytes, worth capturing for this route."""
        ...

    def submit(self, route: Route, request: CapturedRequest, legacy: CapturedResponse) -> None:
        """Queue a comparison; never blocks. A full queue drops it and counts the drop."""
        ...

    async def route_status(self, route_id: str) -> dict[str, object] | None:
        """Shadow outcomes for `api/status` (`compared`, `matched`, …), or None."""
        ...

    async def diffs(self, route_id: str) -> list[dict[str, object]]:
        """Recent redacted mismatch samples for `api/routes/{id}/diffs`."""
        ...

    async def metrics(self) -> str:
        """The shadow's Prometheus families, as text appended to `/_strangler/metrics`."""
        ...

    def route(self, route_id: str) -> Route | None:
        """The route of that id in the table in force now (the admin's lookup)."""
        ...

    def settings_of(self, route: Route) -> dict[str, object]:
        """The route's shadow settings in force: routes.yaml's, overridden at runtime."""
        ...

    async def apply_override(
        self, route_id: str, change: Mapping[str, float | None]
    ) -> dict[str, float]:
        """Override the route's sample rate, concurrency or timeout at runtime (a None
        value clears that override); answers the overrides now in force."""
        ...

    async def reset(self, route: Route, reason: str, version: str | None = None) -> ShadowWindow:
        """Start the route's evidence afresh; answers the new window."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def _shadow_off() -> Refused:
    return Refused(503, "shadow_off", "shadow comparison is not running in this proxy")


class NoShadow:
    """The sink used when shadowing is off: mirrors nothing, exports no metrics, and
    refuses the admin's shadow calls (503 `shadow_off`), starting with the lookup."""

    def wants(self, route: Route, method: str) -> bool:
        return False

    def capture_limit(self, route: Route) -> int:
        return 0

    def submit(self, route: Route, request: CapturedRequest, legacy: CapturedResponse) -> None:
        return None

    async def route_status(self, route_id: str) -> dict[str, object] | None:
        return None

    async def diffs(self, route_id: str) -> list[dict[str, object]]:
        return []

    async def metrics(self) -> str:
        return ""

    def route(self, route_id: str) -> Route | None:
        raise _shadow_off()

    def settings_of(self, route: Route) -> dict[str, object]:
        raise _shadow_off()

    async def apply_override(
        self, route_id: str, change: Mapping[str, float | None]
    ) -> dict[str, float]:
        raise _shadow_off()

    async def reset(self, route: Route, reason: str, version: str | None = None) -> ShadowWindow:
        raise _shadow_off()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class ShadowDeps:
    """What the proxy app gives a shadow sink when it creates one in its lifespan.

    Parameters:
        routes: returns the route table in force now (it changes on reload).
        redis: the shared Redis client (fakeredis's when REDIS_URL is unset), so
            outcomes are the same whichever worker answers `api/status`.
        key_prefix: prefix for every Redis key the sink writes.
        session: returns the long-lived aiohttp session of an upstream by name.
        upstream_url: returns the base URL of an upstream by name.
    """

    routes: Callable[[], RoutesConfig]
    redis: redis.asyncio.Redis
    key_prefix: str
    session: Callable[[str], aiohttp.ClientSession]
    upstream_url: Callable[[str], str]
