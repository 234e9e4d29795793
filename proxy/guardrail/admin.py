"""Admin endpoints of the guardrail, mounted under `/_strangler/` behind the admin token.

GET    api/routes/{id}/guardrail   configured vs effective, verdict, override, autopilot
DELETE api/routes/{id}/override    lift the guardrail's override (404 when none)
GET    api/routes/{id}/history     the audit log: trips, clears, autopilot steps
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as Endpoint

from proxy.guardrail.report import route_fields
from proxy.guardrail.store import HISTORY_LIMIT
from proxy.responses import error_response

if TYPE_CHECKING:
    from proxy.config import Route
    from proxy.guardrail.engine import Guardrail
    from proxy.routing import RouteTable

__all__ = ["guardrail_routes"]


class Runtime(Protocol):
    """What these endpoints read of the worker's runtime (`proxy.runtime.Runtime`). A
    protocol, not an import: the runtime imports the guardrail, never the reverse."""

    @property
    def table(self) -> RouteTable: ...

    @property
    def guardrail(self) -> Guardrail: ...


def guardrail_routes(get_runtime: Callable[[], Runtime | None]) -> list[BaseRoute]:
    def lookup(request: Request) -> tuple[Runtime, Route] | JSONResponse:
        runtime = get_runtime()
        if runtime is None:
            return error_response(503, "not_ready", "proxy is starting")
        route_id = request.path_params["route_id"]
        route = runtime.table.by_id.get(route_id)
        if route is None:
            return error_response(404, "not_found", f"no route {route_id!r} in routes.yaml")
        return runtime, route

    async def show(request: Request) -> Response:
        found = lookup(request)
        if isinstance(found, JSONResponse):
            return found
        runtime, route = found
        await runtime.guardrail.refresh()
        return JSONResponse({"id": route.id, **await route_fields(runtime.guardrail, route)})

    async def clear(request: Request) -> Response:
        found = lookup(request)
        if isinstance(found, JSONResponse):
            return found
        runtime, route = found
        if not await runtime.guardrail.clear(route.id, by="admin api"):
            message = f"route {route.id!r} has no guardrail override"
            return error_response(404, "no_override", message)
        position, source = runtime.guardrail.position(route)
        return JSONResponse(
            {"id": route.id, "cleared": True, "effective": {**position.as_json(), "by": source}}
        )

    async def history(request: Request) -> Response:
        found = lookup(request)
        if isinstance(found, JSONResponse):
            return found
        runtime, route = found
        raw = request.query_params.get("limit", str(HISTORY_LIMIT))
        if not raw.isdigit() or not 1 <= int(raw) <= HISTORY_LIMIT:
            return error_response(400, "bad_request", f"limit must be an integer 1–{HISTORY_LIMIT}")
        entries = await runtime.guardrail.store.history(route.id, int(raw))
        return JSONResponse({"id": route.id, "entries": entries})

    return [
        Endpoint("/api/routes/{route_id}/guardrail", show, methods=["GET"]),
        Endpoint("/api/routes/{route_id}/override", clear, methods=["DELETE"]),
        Endpoint("/api/routes/{route_id}/history", history, methods=["GET"]),
    ]
