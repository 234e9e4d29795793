"""Runtime shadow controls over HTTP, for the admin app under `/_strangler/`.

`GET /api/routes/{id}/shadow` shows the route's shadow settings in force (routes.yaml
merged with runtime overrides) and its current status; `POST` takes a JSON object
`{sample_rate?, concurrency?, timeout?}` (null clears an override) and answers with
the new settings. `POST /api/routes/{id}/shadow/reset` takes `{reason, version?}` and
starts the route's evidence afresh (a new window; the old one stays readable in the
route's `history`), for a deploy announced by hand or evidence an operator no longer
trusts. Bad input gets a 4xx JSON error `{"error": {"code", "message"}}`: the
handlers raise `proxy.responses.Refused`, which the admin app answers (register
`answer_refused` for it when mounting these routes elsewhere). The admin app mounts
them behind the admin token; they reach the shadow only through the `ShadowSink`
protocol, so with shadowing off (`NoShadow`) every call is a 503 `shadow_off`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route as HttpRoute

from proxy.config import Route
from proxy.exchange import ShadowSink
from proxy.responses import Refused
from proxy.shadow.controls import ShadowOverride

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


async def _small_body(request: Request) -> bytes:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise Refused(413, "too_large", f"the body is limited to {MAX_BODY} bytes")
    return raw


def _validation(exc: ValidationError) -> Refused:
    return Refused(422, "validation_error", _problems(exc))


async def _override(request: Request) -> dict[str, float | None]:
    """The fields a `POST …/shadow` body sets (None clears one), validated."""
    raw = await _small_body(request)
    try:
        change = ShadowOverride.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        if not raw.strip().startswith(b"{"):
            raise Refused(400, "bad_request", "the body must be a JSON object") from None
        raise _validation(exc) from None
    return change.model_dump(exclude_unset=True)


async def _reset_request(request: Request) -> ResetRequest:
    raw = await _small_body(request)
    if not raw.strip().startswith(b"{"):
        raise Refused(400, "bad_request", 'the body must be a JSON object: {"reason": "…"}')
    try:
        return ResetRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise _validation(exc) from None


class ShadowApi:
    """The handlers; `sink()` returns the live sink (`NoShadow` when shadowing is off)."""

    def __init__(self, sink: Callable[[], ShadowSink]) -> None:
        self._sink = sink

    def _lookup(self, request: Request) -> tuple[ShadowSink, Route]:
        shadow = self._sink()
        route_id = request.path_params["route_id"]
        route = shadow.route(route_id)  # NoShadow refuses here: shadow_off
        if route is None:
            raise Refused(404, "not_found", f"no route with id {route_id!r}")
        return shadow, route

    async def show(self, request: Request) -> JSONResponse:
        """GET: the settings in force and the status; POST: override them first."""
        shadow, route = self._lookup(request)
        if request.method == "POST":
            await shadow.apply_override(route.id, await _override(request))
        body = {
            "route_id": route.id,
            "stage": route.stage,
            "settings": shadow.settings_of(route),
            "status": await shadow.route_status(route.id),
        }
        return JSONResponse(json.loads(json.dumps(body, default=str)))

    async def reset(self, request: Request) -> JSONResponse:
        shadow, route = self._lookup(request)
        change = await _reset_request(request)
        window = await shadow.reset(route, change.reason, change.version)
        return JSONResponse({"route_id": route.id, "window": window.as_json()})


def shadow_admin_routes(sink: Callable[[], ShadowSink]) -> list[HttpRoute]:
    """Starlette routes; `sink()` returns the live sink (`NoShadow` → 503 `shadow_off`)."""
    api = ShadowApi(sink)
    return [
        HttpRoute("/api/routes/{route_id}/shadow", api.show, methods=["GET", "POST"]),
        HttpRoute("/api/routes/{route_id}/shadow/reset", api.reset, methods=["POST"]),
    ]
