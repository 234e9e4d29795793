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
from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route as HttpRoute

from proxy.exchange import ShadowSink
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


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _problems(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def shadow_admin_routes(sink: Callable[[], ShadowSink | None]) -> list[HttpRoute]:
    """Starlette routes; `sink()` returns the live sink (None or NoShadow → 503)."""

    def service() -> ShadowService | None:
        current = sink()
        return current if isinstance(current, ShadowService) else None

    async def show(request: Request) -> JSONResponse:
        shadow = service()
        if shadow is None:
            return _error(503, "shadow_off", "shadow comparison is not running in this proxy")
        route_id = request.path_params["route_id"]
        route = shadow.route(route_id)
        if route is None:
            return _error(404, "not_found", f"no route with id {route_id!r}")
        if request.method == "POST":
            raw = await request.body()
            if len(raw) > MAX_BODY:
                return _error(413, "too_large", f"the body is limited to {MAX_BODY} bytes")
            try:
                change = ShadowOverride.model_validate_json(raw or b"{}")
            except ValidationError as exc:
                if not raw.strip().startswith(b"{"):
                    return _error(400, "bad_request", "the body must be a JSON object")
                return _error(422, "validation_error", _problems(exc))
            await shadow.overrides.apply(route_id, change)
        body = {
            "route_id": route_id,
            "stage": route.stage,
            "settings": shadow.settings_of(route),
            "status": await shadow.route_status(route_id),
        }
        return JSONResponse(json.loads(json.dumps(body, default=str)))

    async def reset(request: Request) -> JSONResponse:
        shadow = service()
        if shadow is None:
            return _error(503, "shadow_off", "shadow comparison is not running in this proxy")
        route_id = request.path_params["route_id"]
        route = shadow.route(route_id)
        if route is None:
            return _error(404, "not_found", f"no route with id {route_id!r}")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return _error(413, "too_large", f"the body is limited to {MAX_BODY} bytes")
        if not raw.strip().startswith(b"{"):
            return _error(400, "bad_request", 'the body must be a JSON object: {"reason": "…"}')
        try:
            change = ResetRequest.model_validate_json(raw)
        except ValidationError as exc:
            return _error(422, "validation_error", _problems(exc))
        window = await shadow.reset(route, change.reason, change.version)
        return JSONResponse({"route_id": route_id, "window": window.as_json()})

    return [
        HttpRoute("/api/routes/{route_id}/shadow", show, methods=["GET", "POST"]),
        HttpRoute("/api/routes/{route_id}/shadow/reset", reset, methods=["POST"]),
    ]
