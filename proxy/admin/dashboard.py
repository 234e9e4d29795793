"""The cockpit's HTML routes: overview, route page, sign-in/out, static files and icon.

The first response of every page is complete server-rendered HTML with the current
numbers (nothing waits for JavaScript); `?fragment=main` answers only the live part,
which the page's script fetches every few seconds to stay current. The admin app's
route table (`proxy.admin.app`) routes to these handlers: `Pages` for the two live
pages, plain functions for the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from proxy.admin.auth import Sessions, request_is_https
from proxy.admin.guard import AUTH_KEY, AuthState, read_form
from proxy.admin.layout import (
    REFRESH_BOUNDS_MS,
    REFRESH_MS,
    STATIC_TYPES,
    page,
    signin_page,
    static_file,
)
from proxy.admin.pages import overview_body, route_body
from proxy.admin.view import overview, route_view
from proxy.runtime import Runtime

__all__ = ["Pages", "favicon", "signin", "signin_form", "signout", "static"]

WRONG_TOKEN_DELAY = 0.5  # seconds: a guessed token costs time, a typo barely notices
STATUS_EVENTS = 20
CHART_POINTS = 2016  # a week of 5-minute snapshots: enough for 900 pixels, cheap to redraw

StatusBuilder = Callable[[Runtime], Awaitable[dict[str, object]]]


def _auth(request: Request) -> AuthState:
    state = request.scope.get(AUTH_KEY)
    return state if isinstance(state, AuthState) else AuthState(mode="read-only")


def _refresh_ms(request: Request) -> int:
    raw = request.query_params.get("refresh_ms", "")
    low, high = REFRESH_BOUNDS_MS
    return min(max(int(raw), low), high) if raw.isdigit() else REFRESH_MS


def _html(request: Request, title: str, body: str, status_code: int = 200) -> Response:
    headers = {"cache-control": "no-store"}
    if request.query_params.get("fragment") == "main":
        return HTMLResponse(body, status_code=status_code, headers=headers)
    auth = _auth(request)
    text = page(
        title=title, root=request.scope["root_path"], body=body, mode=auth.mode,
        csrf=auth.csrf, signed_in=auth.signed_in, refresh_ms=_refresh_ms(request),
    )  # fmt: skip
    return HTMLResponse(text, status_code=status_code, headers=headers)


async def audit_log(runtime: Runtime, route_id: str) -> list[dict[str, object]]:
    """A route's audit log (guardrail trips and clears, autopilot steps), from the
    guardrail's store; entries that are not JSON objects are left out."""
    entries = await runtime.guardrail.store.history(route_id)
    return [e for e in entries if isinstance(e, dict)]


STARTING = "<p>The proxy is starting; reload in a moment.</p>"


class Pages:
    """The overview and the route page. `status` builds the `api/status` document (the
    pages' only source of figures); while the proxy starts they answer a short HTML 503
    (a page, not the API's JSON error)."""

    def __init__(self, get_runtime: Callable[[], Runtime | None], status: StatusBuilder) -> None:
        self._get_runtime = get_runtime
        self._status = status

    async def home(self, request: Request) -> Response:
        runtime = self._get_runtime()
        if runtime is None:
            return HTMLResponse(STARTING, status_code=503)
        document = await self._status(runtime)
        events = await runtime.history.events(limit=STATUS_EVENTS)
        points = await runtime.history.progress(limit=CHART_POINTS)
        body = overview_body(overview(document, events), points, request.scope["root_path"])
        return _html(request, "Migration overview", body)

    async def route_page(self, request: Request) -> Response:
        runtime = self._get_runtime()
        if runtime is None:
            return HTMLResponse(STARTING, status_code=503)
        route_id = unquote(request.path_params["route_id"])
        document = await self._status(runtime)
        routes = document.get("routes")
        entry = (
            next((r for r in routes if r.get("id") == route_id), None)
            if isinstance(routes, list)
            else None
        )
        if entry is None:
            body = f"<p>No route <code>{escape(route_id[:200])}</code> in routes.yaml.</p>"
            return _html(request, "No such route", body, status_code=404)
        samples = await runtime.sink.diffs(route_id)
        events = [e for e in await runtime.history.events(route=route_id) if e.get("route")]
        figures = await runtime.figures.of(route_id, limit=CHART_POINTS)
        audit = await audit_log(runtime, route_id)
        view = route_view({**entry, "audit": audit} if audit else entry, samples)
        body = route_body(view, events, request.scope["root_path"], figures)
        return _html(request, f"Route {route_id}", body)


async def signin_form(request: Request) -> Response:
    root = request.scope["root_path"]
    if _auth(request).mode != "token":
        return RedirectResponse(root + "/", status_code=303)
    return HTMLResponse(signin_page(root))


async def signin(request: Request) -> Response:
    root = request.scope["root_path"]
    sessions = _auth(request).sessions
    if sessions is None:
        return RedirectResponse(root + "/", status_code=303)
    form, _ = await read_form(request.receive)
    next_path = form.get("next", "")
    if not sessions.token_matches(form.get("token", "")):
        await asyncio.sleep(WRONG_TOKEN_DELAY)
        body = signin_page(root, error="That is not the admin token.", next_path=next_path)
        return HTMLResponse(body, status_code=401)
    # Only back into the admin area, never to another site (no open redirect).
    safe = next_path.startswith(root + "/") and not next_path.startswith("//")
    response = RedirectResponse(next_path if safe else root + "/", status_code=303)
    secure = request_is_https(request.scope)
    response.headers["set-cookie"] = sessions.set_cookie(sessions.issue(), secure=secure)
    return response


async def signout(request: Request) -> Response:
    root = request.scope["root_path"]
    response = RedirectResponse(root + "/", status_code=303)
    response.headers["set-cookie"] = Sessions.clear_cookie(secure=request_is_https(request.scope))
    return response


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    data = static_file(name)
    if data is None:
        return Response(b"not found", status_code=404, media_type="text/plain")
    return Response(data, media_type=STATIC_TYPES[name], headers={"cache-control": "max-age=3600"})


async def favicon(request: Request) -> Response:
    data = static_file("favicon.ico") or b""
    return Response(data, media_type=STATIC_TYPES["favicon.ico"],
                    headers={"cache-control": "max-age=86400"})  # fmt: skip
