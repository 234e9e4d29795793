"""The HTTP data path: match, choose the upstream, forward, stream back.

`Forwarder.__call__` is the whole life of one proxied request. It never buffers a
body except a request body that arrived whole anyway, and what shadow comparison
asked to capture. Errors before the first response byte become the proxy's JSON
errors (413, 502, 504); after it, the only honest move is to cut the connection.

Rule: nothing here awaits Redis or shadow work. Counting is a dict increment and
the shadow sink's methods are synchronous and non-blocking.

Time: a request's deadline is its route's `timeout` (else the upstream's), counted
from the request's arrival, and it covers every attempt, retries and fallback
included. On a fallback route modern gets only `fallback_budget` of it (of the
shorter one, if the two upstreams' differ) to answer, so legacy still has the rest.
Each upstream's breaker (`proxy.breaker`) is asked before the upstream is; an open
one sends fallback routes to legacy at once, and other routes get a fast 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from time import perf_counter

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random

from proxy.bodies import BodyTimeout, BodyTooLarge, ClientGone, RequestBody, Tee
from proxy.canary import choose_target
from proxy.config import IDEMPOTENT_METHODS, Route
from proxy.config.models import DEFAULT_BODY_LIMIT
from proxy.config.resilience import DEFAULT_FALLBACK_BUDGET
from proxy.edge.limits import EdgeLimits
from proxy.exchange import CapturedRequest, CapturedResponse, ShadowSink
from proxy.guardrail import Guard
from proxy.headers import ForwardedRequest, request_headers, response_headers
from proxy.responses import public_message, send_error
from proxy.routing import RouteTable, unmapped_key
from proxy.stats import UNMAPPED_ROUTE, Stats
from proxy.types import Receive, Scope, Send, Target
from proxy.upstream_client import (
    ConnectFailed,
    Disconnected,
    UpstreamClient,
    UpstreamError,
    UpstreamResponse,
)
from proxy.upstream_errors import RecentErrors
from proxy.upstreams import Upstreams

__all__ = ["Forwarder"]

# Asked for by browsers on their own, not by the app's users: still forwarded (legacy's
# icon is the site's icon: the proxy stays transparent) but never listed as an unmapped
# path to migrate. The cockpit serves its own at /_strangler/favicon.ico.
BROWSER_HOUSEKEEPING = frozenset({"/favicon.ico"})

log = logging.getLogger("strangler.proxy")

_RETRYABLE = (ConnectFailed, Disconnected)  # nothing was answered: safe to send again
RETRY_ATTEMPTS = 3
_NO_BODY_STATUSES = frozenset({204, 304})


class UpstreamFailed(Exception):
    """An upstream could not give an answer: carries the proxy's error reply."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class CircuitOpen(UpstreamFailed):
    """The upstream's breaker is open: it was not asked at all."""

    def __init__(self, target: str) -> None:
        # Generic on purpose: the client learns to retry, the log and status say why.
        super().__init__(503, "upstream_unavailable", "the service is briefly unavailable")
        self.target = target


class Forwarder:
    """Forwards one HTTP request to legacy or modern and streams the answer back.

    Parameters:
        upstreams: sessions and URLs.
        stats: the worker's counters.
        sink: where shadowed exchanges go (`NoShadow` when shadowing is off).
        guard: the guardrail's view of each route (overrides, autopilot) and its
            canary outcome counter (`proxy.guardrail.Unguarded` when there is none).
        edge: body buffering and time limits.
    """

    def __init__(
        self, upstreams: Upstreams, stats: Stats, sink: ShadowSink, guard: Guard, edge: EdgeLimits
    ) -> None:
        self.upstreams = upstreams
        self.stats = stats
        self.errors = RecentErrors()  # the detail a client's 502/504 leaves out
        self.sink = sink
        self.guard = guard
        self.edge = edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send, table: RouteTable) -> None:
        started = perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        client = scope.get("client")
        try:
            fwd = request_headers(
                scope["headers"], client_host=client[0] if client else None, scheme=scope["scheme"]
            )
        except ValueError as exc:
            await send_error(send, 400, "bad_request", str(exc), "-")
            return
        matched = table.match(method, path)
        route: Route | None
        params: dict[str, str]
        target: Target
        limit = DEFAULT_BODY_LIMIT
        tee: Tee | None = None
        if matched is None:
            route, params, route_id, target = None, {}, UNMAPPED_ROUTE, "legacy"
            if path not in BROWSER_HOUSEKEEPING:
                self.stats.unmapped(unmapped_key(path))
        else:
            route, params = matched
            route = self.guard.effective(route)  # a guardrail override or an autopilot step
            route_id = route.id
            target = choose_target(
                route,
                scope,
                params,
                authorization=fwd.authorization,
                cookie=fwd.cookie,
                missing=self.stats.sticky_missing,
            )
            if route.max_body_bytes is not None:
                limit = route.max_body_bytes
            if target == "legacy":
                tee = self._tee(route, method)
        body = RequestBody(receive, limit, tee, self.edge)
        try:
            if fwd.content_length or fwd.chunked:
                if fwd.content_length is not None and fwd.content_length > limit:
                    raise BodyTooLarge
                await body.start(fwd.content_length)  # small bodies: whole, before upstream
            else:  # no body: nothing to read, no coroutine to run
                body.data = b""
            fallback = route is not None and self._may_fall_back(route, method, body)
            if fallback and route is not None and target == "modern":
                if await self._try_modern(scope, send, route, fwd, body, started):
                    return
                self.stats.fallback(route.id)
                target = "legacy"
            resp = await self._open_watched(target, scope, fwd, body, route, started=started)
        except ClientGone:
            return
        except BodyTimeout as exc:
            self.stats.error(route_id, target, 408)
            self.stats.request(route_id, target, perf_counter() - started)
            await send_error(send, 408, "request_timeout", str(exc), fwd.request_id)
            return
        except BodyTooLarge:
            self._account(route_id, target, started, error=413)
            message = f"request body over this route's limit of {limit} bytes"
            await send_error(send, 413, "payload_too_large", message, fwd.request_id)
            return
        except UpstreamFailed as exc:
            self._account(route_id, target, started, error=exc.status)
            log.warning("%s %s → %d (%s): %s", method, route_id, exc.status, fwd.request_id, exc)
            self.errors.record(target, exc.status, exc.message, route_id, fwd.request_id)
            await send_error(send, exc.status, exc.code, public_message(exc.status), fwd.request_id)
            return
        response_tee = Tee(tee.cap) if tee is not None else None
        try:
            complete = await self._relay(resp, send, method, fwd.request_id, response_tee)
        finally:
            resp.release()
        elapsed = self._account(route_id, target, started)
        if complete and tee is not None and response_tee is not None and route is not None:
            self._submit(scope, route, params, fwd, tee, resp, response_tee, elapsed)

    def _account(
        self, route_id: str, target: Target, started: float, *, error: int | None = None
    ) -> float:
        """Count one request that got its answer, with the proxy's own error status when
        the answer was one; the seconds since it `started`. Every outcome of a request
        is counted here, once."""
        if error is not None:
            self.stats.error(route_id, target, error)
        elapsed = perf_counter() - started
        self.stats.request(route_id, target, elapsed)
        return elapsed

    def _tee(self, route: Route, method: str) -> Tee | None:
        """A body copier when the shadow sink wants this exchange, else None."""
        try:
            if self.sink.wants(route, method):
                return Tee(self.sink.capture_limit(route))
        except Exception:  # a broken sink must never break the user's request
            log.exception("shadow sink failed to decide on route %s", route.id)
        return None

    @staticmethod
    def _may_fall_back(route: Route, method: str, body: RequestBody) -> bool:
        return (
            route.fallback == "legacy"
            and route.stage in ("canary", "modern")
            and method in IDEMPOTENT_METHODS
            and body.replayable
        )

    async def _try_modern(
        self,
        scope: Scope,
        send: Send,
        route: Route,
        fwd: ForwardedRequest,
        body: RequestBody,
        started: float,
    ) -> bool:
        """Serve from modern unless it fails before answering; False means fall back.

        Modern's head must arrive within `fallback_budget` of the deadline (its body
        may take the rest), and an open breaker skips modern altogether. What fails
        here is counted as absorbed by fallback, not as an error users saw.
        """
        budget = route.fallback_budget or DEFAULT_FALLBACK_BUDGET
        # A share of the shorter deadline: legacy, counted from the same arrival, is
        # then always left time of its own.
        head_within = budget * min(self._timeout(route, "modern"), self._timeout(route, "legacy"))
        try:
            resp = await self._open_watched(
                "modern", scope, fwd, body, route, started=started, head_within=head_within
            )
        except CircuitOpen:
            self.stats.absorbed(route.id, "modern", "circuit_open")
            return False
        except UpstreamFailed as exc:
            self.stats.absorbed(route.id, "modern", exc.status)
            return False
        if resp.status >= 500:
            self.stats.absorbed(route.id, "modern", resp.status)
            resp.release()
            return False
        try:
            await self._relay(resp, send, scope["method"], fwd.request_id, None)
        finally:
            resp.release()
        self._account(route.id, "modern", started)
        return True

    def _timeout(self, route: Route | None, target: Target) -> float:
        """The request's deadline in seconds: the route's timeout, else the upstream's."""
        return (route.timeout if route is not None else None) or self.upstreams.default_timeout(
            target
        )

    async def _open_watched(
        self,
        target: Target,
        scope: Scope,
        fwd: ForwardedRequest,
        body: RequestBody,
        route: Route | None,
        *,
        started: float,
        head_within: float | None = None,
    ) -> UpstreamResponse:
        """`_open` within the request's deadline (`_timeout`), its outcome counted for a
        canary's analysis (before any fallback). An open breaker counts as a failure of
        that upstream: it was failing."""
        canary = route if route is not None and route.stage == "canary" else None
        asked = perf_counter() if canary is not None else 0.0
        try:
            resp = await self._open(
                target, scope, fwd.headers, body, self._timeout(route, target), started, head_within
            )
        except UpstreamFailed:
            if canary is not None:
                self.guard.observe(canary, target, failed=True, elapsed=perf_counter() - asked)
            raise
        if canary is not None:
            elapsed = perf_counter() - asked
            self.guard.observe(canary, target, failed=resp.status >= 500, elapsed=elapsed)
        return resp

    async def _open(
        self,
        target: Target,
        scope: Scope,
        headers: list[tuple[str, str]],
        body: RequestBody,
        seconds: float,
        started: float,
        head_within: float | None,
    ) -> UpstreamResponse:
        """Send the request upstream through its breaker (retrying what is safe) before
        the deadline; return once the head has arrived.

        `started` (perf_counter) is when the request arrived: the deadline is `seconds`
        from it. `head_within` (seconds from `started`) bounds the wait for the head
        alone. The breaker hears what the upstream did (answered, failed, timed out),
        never what the client did (left, sent too much, stalled) or a cancellation.
        """
        deadline = started + seconds
        if perf_counter() >= deadline:
            # Spent before this upstream was asked: nothing to hold against it.
            raise UpstreamFailed(504, "upstream_timeout", f"no time left to ask {target}")
        breaker = self.upstreams.breaker(target)
        if not breaker.allow():
            raise CircuitOpen(target)
        # The client's path and query go upstream byte for byte (percent-encoding kept).
        path: str = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query: bytes = scope["query_string"]
        if query:
            path += "?" + query.decode("latin-1")
        method: str = scope["method"]
        client = self.upstreams.client(target)
        attempt = partial(_send, client, method, path, headers, body, deadline)
        try:
            if head_within is None:
                resp = await _with_retries(attempt, method, body)
            else:
                # Cancelling the wait drops its connection (the client abandons it on any
                # exception), so a head that comes late never lands on a pooled socket.
                async with asyncio.timeout(max(0.0, started + head_within - perf_counter())):
                    resp = await _with_retries(attempt, method, body)
        except TimeoutError:
            breaker.failed()
            waited = seconds if head_within is None else head_within
            raise UpstreamFailed(
                504, "upstream_timeout", f"{target} did not answer within {waited:g} s"
            ) from None
        except UpstreamError as exc:
            clients_doing = _client_failure(body)
            if clients_doing is not None:
                breaker.abandoned()
                raise clients_doing from None
            breaker.failed()
            raise UpstreamFailed(
                502, "upstream_unavailable", f"{target} is unavailable: {_describe(exc)}"
            ) from None
        except BaseException:  # the client left, cancellation
            breaker.abandoned()
            raise
        breaker.succeeded()
        return resp

    @staticmethod
    async def _relay(
        resp: UpstreamResponse, send: Send, method: str, request_id: str, tee: Tee | None
    ) -> bool:
        """Stream the upstream's response to the client, unchanged; False if it broke off."""
        headers, _ = response_headers(resp.raw_headers, request_id)
        status = resp.status
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if method == "HEAD" or status in _NO_BODY_STATUSES or status < 200:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return True
        remaining = resp.content_length
        try:
            while True:
                chunk = await resp.read()
                if not chunk:
                    break
                if tee is not None:
                    tee.feed(chunk)
                if remaining is not None:
                    remaining -= len(chunk)
                    if remaining <= 0:
                        await send({"type": "http.response.body", "body": chunk})
                        return True
                elif resp.at_eof():  # the body's end came with it: one send, not two
                    await send({"type": "http.response.body", "body": chunk})
                    return True
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (UpstreamError, TimeoutError) as exc:
            # Bytes already went to the client: leaving the response incomplete makes
            # the server cut the connection, which the client sees as a failure.
            log.warning("upstream failed mid-response (%s): %s", request_id, _describe(exc))
            return False
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return True

    def _submit(
        self,
        scope: Scope,
        route: Route,
        params: dict[str, str],
        fwd: ForwardedRequest,
        request_tee: Tee,
        resp: UpstreamResponse,
        response_tee: Tee,
        elapsed: float,
    ) -> None:
        client = scope.get("client")
        request = CapturedRequest(
            route_id=route.id,
            method=scope["method"],
            path=scope["path"],
            query_string=scope["query_string"].decode("latin-1"),
            path_params=params,
            headers=tuple((name.lower(), value) for name, value in fwd.headers),
            body=request_tee.value(),
            body_skipped=request_tee.skipped,
            request_id=fwd.request_id,
            client=client[0] if client else None,
            raw_path=CapturedRequest.raw_path_of(scope),  # the mirror sends what legacy got
        )
        response = CapturedResponse(
            status=resp.status,
            headers=tuple(
                (name.decode("latin-1").lower(), value.decode("latin-1"))
                for name, value in resp.raw_headers
            ),
            body=response_tee.value(),
            elapsed=elapsed,
            upstream="legacy",
        )
        try:
            self.sink.submit(route, request, response)
        except Exception:  # a broken sink must never break the user's response
            log.exception("shadow sink refused an exchange for route %s", route.id)


async def _with_retries(
    attempt: Callable[[], Awaitable[UpstreamResponse]], method: str, body: RequestBody
) -> UpstreamResponse:
    """Send once; again (up to `RETRY_ATTEMPTS` in all) while nothing was answered and
    the request is safe to replay."""
    try:
        return await attempt()
    except _RETRYABLE:
        if method not in IDEMPOTENT_METHODS or not body.replayable:
            raise
    # Built only once a first attempt failed: plain requests pay for no retry objects.
    retrying = AsyncRetrying(
        stop=stop_after_attempt(RETRY_ATTEMPTS - 1),
        wait=wait_random(0.005, 0.025),
        retry=retry_if_exception_type(_RETRYABLE),
        reraise=True,
    )
    return await retrying(attempt)


async def _send(
    client: UpstreamClient,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: RequestBody,
    deadline: float,
) -> UpstreamResponse:
    """One attempt at the upstream, the body replayed from the start, with what is
    left of the request's deadline (`deadline` on the perf_counter clock)."""
    left = deadline - perf_counter()
    if left <= 0:
        raise TimeoutError
    return await client.request(method, path, headers, body.payload(), left)


def _client_failure(body: RequestBody) -> Exception | None:
    """What the client did, when an upstream failed because of it: the body went over
    its limit, stalled (its upstream connection is then closed), or the client left."""
    if body.too_large:
        return BodyTooLarge()
    if body.timed_out:
        return BodyTimeout(body.timeout_message())
    if body.gone:
        return ClientGone()
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
