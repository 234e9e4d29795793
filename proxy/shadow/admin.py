"""Runtime shadow controls over HTTP, for the admin app under `/_strangler/`.

`GET /api/routes/{id}/shadow` shows the route's shadow settings in force (routes.yaml
merged with runtime overrides) and its current status; `POST` takes a JSON object
`{sample_rate?, concurrency?, timeout?}` (null clears an override) and answers with
the new settings. `POST /api/routes/{id}/shadow/reset` takes `{reason, version?}` and
starts the route's evidence afresh (a new window; the old one stays readable in the
route's `history`), for a deploy announced by hand or evidence an operator no longer
trusts. Bad input gets a 4xx JSON error `{"error": {"code", "message"}}`.
The lead mounts these routes in the admin app, which applies the admin token.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route as HttpRoute

from proxy.config import Route
from proxy.exchange import ShadowSink
from proxy.responses import error_response
from proxy.shadow.controls import ShadowOverride
from proxy.shadow.runner import ShadowService

__all__ = ["shadow_admin_routes"]

MAX_BODY = 4096


class ResetRequest(BaseModel):
    """The body of `POST api/routes/{id}/shadow/reset`.

    Parameters:
        reason: why the evidence starts afresh (kept with the closed window).
        version: modern's new version, when the reset announces a deploy.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    reason: Annotated[str, Field(min_length=3, max_length=500)]
    version: Annotated[str, Field(min_length=1, max_length=200)] | None = None


def _problems(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


class _Refused(Exception):
    """An error answer, raised where the problem is found and rendered in one place."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _answering(
    handler: Callable[[Request], Awaitable[JSONResponse]],
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def answer(request: Request) -> JSONResponse:
        try:
            return await handler(request)
        except _Refused as exc:
            return error_response(exc.status, exc.code, exc.message)

    return answer


async def _small_body(request: Request) -> bytes:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise _Refused(413, "too_large", f"the body is limited to {MAX_BODY} bytes")
    return raw


def _validation(exc: ValidationError) -> _Refused:
    return _Refused(422, "validation_error", _problems(exc))


def shadow_admin_routes(sink: Callable[[], ShadowSink | None]) -> list[HttpRoute]:
    """Starlette routes; `sink()` returns the live sink (None or NoShadow → 503)."""

    def lookup(request: Request) -> tuple[ShadowService, Route]:
        shadow = sink()
        if not isinstance(shadow, ShadowService):
            raise _Refused(503, "shadow_off", "shadow comparison is not running in this proxy")
        route_id = request.path_params["route_id"]
        route = shadow.route(route_id)
        if route is None:
            raise _Refused(404, "not_found", f"no route with id {route_id!r}")
        return shadow, route

    @_answering
    async def show(request: Request) -> JSONResponse:
        shadow, route = lookup(request)
        if request.method == "POST":
            raw = await _small_body(request)
            try:
                change = ShadowOverride.model_validate_json(raw or b"{}")
            except ValidationError as exc:
                if not raw.strip().startswith(b"{"):
                    raise _Refused(400, "bad_request", "the body must be a JSON object") from None
                raise _validation(exc) from None
            await shadow.overrides.apply(route.id, change)
        body = {
            "route_id": route.id,
            "stage": route.stage,
            "settings": shadow.settings_of(route),
            "status": await shadow.route_status(route.id),
        }
        return JSONResponse(json.loads(json.dumps(body, default=str)))

    @_answering
    async def reset(request: Request) -> JSONResponse:
        shadow, route = lookup(request)
        raw = await _small_body(request)
        if not raw.strip().startswith(b"{"):
            message = 'the body must be a JSON object: {"reason": "…"}'
            raise _Refused(400, "bad_request", message)
        try:
            change = ResetRequest.model_validate_json(raw)
        except ValidationError as exc:
            raise _validation(exc) from None
        window = await shadow.reset(route, change.reason, change.version)
        return JSONResponse({"route_id": route.id, "window": window.as_json()})

    return [
        HttpRoute("/api/routes/{route_id}/shadow", show, methods=["GET", "POST"]),
        HttpRoute("/api/routes/{route_id}/shadow/reset", reset, methods=["POST"]),
    ]
