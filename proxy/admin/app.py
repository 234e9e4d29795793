"""The admin app under `/_strangler/` (DESIGN.md §6), a small Starlette app.

It sits beside the data path, never in front of it. With `STRANGLER_ADMIN_TOKEN`
set, every endpoint except the two health checks needs `Authorization: Bearer
<token>` (compared in constant time).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence

from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.admin.dashboard import DASHBOARD_HTML
from proxy.admin.metrics import CONTENT_TYPE, render_metrics
from proxy.admin.status import build_status
from proxy.exchange import ShadowSink
from proxy.runtime import Runtime
from proxy.types import ASGIApp, Receive, Scope, Send

__all__ = ["AdminRoutes", "build_admin"]

OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


AdminRoutes = Callable[[Callable[[], ShadowSink | None]], Sequence[BaseRoute]]
"""Builds extra admin routes (e.g. `proxy.shadow.shadow_admin_routes`) from a sink getter."""


def build_admin(
    get_runtime: Callable[[], Runtime | None], prefix: str, extra: AdminRoutes | None = None
) -> ASGIApp:
    """The admin ASGI app; `get_runtime` returns the worker's live state (None at start).

    `extra` routes are mounted beside the built-in ones, behind the same token.
    """

    def sink() -> ShadowSink | None:
        runtime = get_runtime()
        return runtime.sink if runtime is not None else None

    def runtime_or_503() -> Runtime | JSONResponse:
        runtime = get_runtime()
        return runtime if runtime is not None else _error(503, "not_ready", "proxy is starting")

    async def dashboard(request: Request) -> Response:
        return HTMLResponse(DASHBOARD_HTML)

    async def status(request: Request) -> Response:
        runtime = runtime_or_503()
        if isinstance(runtime, JSONResponse):
            return runtime
        return JSONResponse(await build_status(runtime))

    async def diffs(request: Request) -> Response:
        runtime = runtime_or_503()
        if isinstance(runtime, JSONResponse):
            return runtime
        route_id = request.path_params["route_id"]
        if route_id not in runtime.table.by_id:
            return _error(404, "not_found", f"no route {route_id!r} in routes.yaml")
        return JSONResponse(await runtime.sink.diffs(route_id))

    async def reload(request: Request) -> Response:
        runtime = runtime_or_503()
        if isinstance(runtime, JSONResponse):
            return runtime
        outcome = runtime.reloader.reload("api")
        if runtime.shared and outcome.result != "refused":
            await runtime.reloader.publish(
                runtime.redis, runtime.settings.key_prefix, outcome.revision
            )
        body = outcome.as_json()
        if outcome.result == "refused":
            return JSONResponse(
                {
                    "error": {"code": "invalid_routes", "message": "\n".join(outcome.problems)},
                    **body,
                },
                status_code=422,
            )
        return JSONResponse(body)

    async def metrics(request: Request) -> Response:
        runtime = runtime_or_503()
        if isinstance(runtime, JSONResponse):
            return runtime
        text = await render_metrics(runtime)
        shadow_metrics = getattr(runtime.sink, "metrics", None)  # the shadow sink's own families
        if shadow_metrics is not None:
            text += (await shadow_metrics()).encode()
        return Response(text, media_type=CONTENT_TYPE)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        runtime = get_runtime()
        if runtime is None:
            return JSONResponse({"status": "starting", "config": False}, status_code=503)
        if runtime.draining:  # stopping: a load balancer sends new requests elsewhere
            revision = runtime.table.loaded.revision
            return JSONResponse({"status": "draining", "config": revision}, status_code=503)
        needed = ["legacy"]
        if any(route.stage != "legacy" for route in runtime.config.routes):
            needed.append("modern")
        checks = {name: await runtime.upstreams.probe(name) for name in needed}
        ready = all(ok for ok, _ in checks.values())
        return JSONResponse(
            {
                "status": "ready" if ready else "not_ready",
                "config": runtime.table.loaded.revision,
                "upstreams": {name: detail for name, (_, detail) in checks.items()},
            },
            status_code=200 if ready else 503,
        )

    async def shared_state_down(request: Request, exc: Exception) -> Response:
        # Counters and shadow outcomes live in Redis; without it there is nothing true to say.
        return _error(503, "shared_state_unavailable", f"Redis is unavailable: {exc}")

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "bad_request")
        return _error(status, code, f"{request.method} {request.url.path}: {detail}")

    starlette = Starlette(
        exception_handlers={
            HTTPException: http_error,
            RedisError: shared_state_down,
            ConnectionError: shared_state_down,
        },
        routes=[
            Route("/", dashboard, methods=["GET"]),
            Route("/api/status", status, methods=["GET"]),
            Route("/api/routes/{route_id}/diffs", diffs, methods=["GET"]),
            Route("/api/reload", reload, methods=["POST"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            *(extra(sink) if extra is not None else ()),
        ],
    )
    return _Guard(starlette, get_runtime, prefix)


class _Guard:
    """Mounts the admin app at `prefix` and enforces the admin token."""

    def __init__(
        self, app: ASGIApp, get_runtime: Callable[[], Runtime | None], prefix: str
    ) -> None:
        self.app = app
        self.get_runtime = get_runtime
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path == self.prefix:
            await RedirectResponse(self.prefix + "/", status_code=308)(scope, receive, send)
            return
        sub_path = path[len(self.prefix) :]
        runtime = self.get_runtime()
        token = runtime.settings.admin_token if runtime is not None else None
        if token and sub_path not in OPEN_PATHS and not _authorized(scope, token):
            response = _error(
                401, "unauthorized", "this endpoint needs Authorization: Bearer <token>"
            )
            response.headers["www-authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        # Starlette routes on the path below root_path, so the routes read "/api/status".
        await self.app({**scope, "root_path": self.prefix}, receive, send)


def _authorized(scope: Scope, token: str) -> bool:
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            scheme, _, given = value.decode("latin-1").partition(" ")
            return scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), token.encode()
            )
    return False
