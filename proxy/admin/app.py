"""The admin app under `/_strangler/` (the README's admin endpoints), a small Starlette app.

It sits beside the data path, never in front of it. Who may do what is decided by
`guard.Guard` (see `auth`): with `STRANGLER_ADMIN_TOKEN` set, a Bearer header or a
signed-in browser session; without one, read-only unless `STRANGLER_ADMIN_OPEN=1`.

`build_admin` is the router: one table of every URL of the package and the handler
that answers it: the API's (`AdminApi`, here), the cockpit's pages (`dashboard`) and
`api/history` (`history_api`); the guardrail's and the shadow's routes come from
their packages. A handler raises `proxy.responses.Refused` where it finds a problem
(the proxy still starting, an unknown route, bad input), and the app's exception
handlers answer it, and Redis or HTTP routing failures, in the one error envelope.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from random import getrandbits

from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from proxy.admin.dashboard import Pages, favicon, signin, signin_form, signout, static
from proxy.admin.guard import Guard
from proxy.admin.history_api import HistoryApi, history_summary
from proxy.admin.metrics import CONTENT_TYPE, render_metrics
from proxy.admin.status import REDIS_BUDGET, build_status
from proxy.counters import budget, limit
from proxy.exchange import NoShadow, ShadowSink
from proxy.guardrail.admin import guardrail_routes
from proxy.guardrail.report import metrics_text as guardrail_metrics
from proxy.headers import valid_request_id
from proxy.responses import Refused, answer_refused
from proxy.runtime import Runtime
from proxy.types import ASGIApp

__all__ = ["AdminApi", "AdminRoutes", "build_admin", "status_document"]

log = logging.getLogger("strangler.proxy")


AdminRoutes = Callable[[Callable[[], ShadowSink]], Sequence[BaseRoute]]
"""Builds extra admin routes (e.g. `proxy.shadow.shadow_admin_routes`) from a sink getter."""


async def status_document(runtime: Runtime) -> dict[str, object]:
    """`api/status`, with the history summary beside the live figures."""
    with budget(REDIS_BUDGET):  # one bound for every Redis read of the answer
        document = await build_status(runtime)
        try:
            async with limit(REDIS_BUDGET):
                document["history"] = await history_summary(runtime)
        except (RedisError, OSError) as exc:
            document["history"] = {"unavailable": f"Redis did not answer: {exc!r}"}
            document["partial"] = True
            document.setdefault("partial_reason", "Redis did not answer for the history")
    return document


class AdminApi:
    """The API's handlers over the worker's live state (`get_runtime()`, None at start)."""

    def __init__(self, get_runtime: Callable[[], Runtime | None]) -> None:
        self._get_runtime = get_runtime

    def runtime(self) -> Runtime:
        """The live state; while the proxy starts, every API call is a 503 `not_ready`."""
        runtime = self._get_runtime()
        if runtime is None:
            raise Refused(503, "not_ready", "proxy is starting")
        return runtime

    def sink(self) -> ShadowSink:
        """The shadow sink; `NoShadow` (shadow is off) while the proxy starts."""
        runtime = self._get_runtime()
        return runtime.sink if runtime is not None else NoShadow()

    async def status(self, request: Request) -> Response:
        return JSONResponse(await status_document(self.runtime()))

    async def diffs(self, request: Request) -> Response:
        runtime = self.runtime()
        route_id = request.path_params["route_id"]
        if route_id not in runtime.table.by_id:
            raise Refused(404, "not_found", f"no route {route_id!r} in routes.yaml")
        return JSONResponse(await runtime.sink.diffs(route_id))

    async def reload(self, request: Request) -> Response:
        runtime = self.runtime()
        outcome = runtime.reloader.reload("api")
        if runtime.shared and outcome.result != "refused":
            await runtime.reloader.publish(
                runtime.redis, runtime.settings.key_prefix, outcome.revision
            )
        body = outcome.as_json()
        if outcome.result == "refused":  # the error envelope, with the outcome beside it
            error = {"code": "invalid_routes", "message": "\n".join(outcome.problems)}
            return JSONResponse({"error": error, **body}, status_code=422)
        return JSONResponse(body)

    async def metrics(self, request: Request) -> Response:
        runtime = self.runtime()
        text = await render_metrics(runtime)
        text += (await runtime.sink.metrics()).encode()
        text += (await guardrail_metrics(runtime.guardrail, runtime.config.routes)).encode()
        return Response(text, media_type=CONTENT_TYPE)

    async def readyz(self, request: Request) -> Response:
        """Open to anyone (load balancers): its own 503 bodies, with the request id."""
        runtime = self._get_runtime()
        request_id = _request_id(request)
        if runtime is None:
            body = {"status": "starting", "config": False, "request_id": request_id}
            return JSONResponse(body, status_code=503, headers={"x-request-id": request_id})
        if runtime.draining:  # stopping: a load balancer sends new requests elsewhere
            revision = runtime.table.loaded.revision
            body = {"status": "draining", "config": revision, "request_id": request_id}
            return JSONResponse(body, status_code=503, headers={"x-request-id": request_id})
        needed = ["legacy"]
        if any(route.stage != "legacy" for route in runtime.config.routes):
            needed.append("modern")
        # HTTP probes side by side: a hung upstream costs its probe timeout once.
        health = await runtime.upstreams.health_of(needed)
        checks = {name: (result.ok, result.detail) for name, result in health.items()}
        ready = all(ok for ok, _ in checks.values())
        return JSONResponse(
            {
                "status": "ready" if ready else "not_ready",
                "config": runtime.table.loaded.revision,
                "upstreams": _public_checks(runtime, checks, request_id),
                "request_id": request_id,
            },
            status_code=200 if ready else 503,
            headers={"x-request-id": request_id},
        )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def shared_state_down(request: Request, exc: Exception) -> Response:
    """Counters and shadow outcomes live in Redis; without it there is nothing true to say."""
    return await answer_refused(
        request, Refused(503, "shared_state_unavailable", f"Redis is unavailable: {exc}")
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, method not allowed) in the envelope."""
    status = exc.status_code if isinstance(exc, HTTPException) else 400
    detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "bad_request")
    message = f"{request.method} {request.url.path}: {detail}"
    return await answer_refused(request, Refused(status, code, message))


def build_admin(
    get_runtime: Callable[[], Runtime | None], prefix: str, extra: AdminRoutes | None = None
) -> ASGIApp:
    """The admin ASGI app; `get_runtime` returns the worker's live state (None at start).

    `extra` routes are mounted beside the built-in ones, behind the same token.
    """
    api = AdminApi(get_runtime)
    pages = Pages(get_runtime, status_document)
    history = HistoryApi(api.runtime)
    starlette = Starlette(
        exception_handlers={
            Refused: answer_refused,
            HTTPException: http_error,
            RedisError: shared_state_down,
            ConnectionError: shared_state_down,
        },
        routes=[
            Route("/", pages.home, methods=["GET"]),
            Route("/routes/{route_id:path}", pages.route_page, methods=["GET"]),
            Route("/signin", signin_form, methods=["GET"]),
            Route("/signin", signin, methods=["POST"]),
            Route("/signout", signout, methods=["POST"]),
            Route("/static/{name}", static, methods=["GET"]),
            Route("/favicon.ico", favicon, methods=["GET"]),
            Route("/api/history", history.history, methods=["GET"]),
            Route("/api/history/routes/{route_id}", history.route_history, methods=["GET"]),
            Route("/api/history/events", history.add_event, methods=["POST"]),
            Route("/api/status", api.status, methods=["GET"]),
            Route("/api/routes/{route_id}/diffs", api.diffs, methods=["GET"]),
            Route("/api/reload", api.reload, methods=["POST"]),
            Route("/metrics", api.metrics, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", api.readyz, methods=["GET"]),
            *guardrail_routes(api.runtime),
            *(extra(api.sink) if extra is not None else ()),
        ],
    )
    return Guard(starlette, get_runtime, prefix)


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "").encode("latin-1")
    return given.decode("ascii") if valid_request_id(given) else f"{getrandbits(128):032x}"


def _public_checks(
    runtime: Runtime, checks: dict[str, tuple[bool, str]], request_id: str
) -> dict[str, str]:
    """Readiness is open to anyone: it says which upstream is not ready, not where it
    lives or why. The probe's detail (address, errno) goes to the log and to the
    upstream errors in `api/status`, behind the token."""
    public: dict[str, str] = {}
    for name, (ok, detail) in checks.items():
        public[name] = "ok" if ok else "unavailable"
        if not ok:
            log.warning("readyz (%s): %s is not ready: %s", request_id, name, detail)
            runtime.forwarder.errors.record(name, 503, detail, "readyz", request_id)
    return public
