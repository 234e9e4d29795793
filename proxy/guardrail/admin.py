"""Admin endpoints of the guardrail, mounted under `/_strangler/` behind the admin token.

GET    api/routes/{id}/guardrail   configured vs effective, verdict, override, autopilot
DELETE api/routes/{id}/override    lift the guardrail's override (404 when none)
GET    api/routes/{id}/history     the audit log: trips, clears, autopilot steps
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute
from starlette.routing import Route as Endpoint

from proxy.guardrail.report import route_fields
from proxy.guardrail.store import HISTORY_LIMIT
from proxy.responses import Refused

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


class GuardrailApi:
    """The handlers; `runtime()` returns the worker's live state, or raises the admin
    app's 503 while the proxy is starting."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._runtime = runtime

    def _lookup(self, request: Request) -> tuple[Guardrail, Route]:
        runtime = self._runtime()
        route_id = request.path_params["route_id"]
        route = runtime.table.by_id.get(route_id)
        if route is None:
            raise Refused(404, "not_found", f"no route {route_id!r} in routes.yaml")
        return runtime.guardrail, route

    async def show(self, request: Request) -> JSONResponse:
        guardrail, route = self._lookup(request)
        await guardrail.refresh()
        return JSONResponse({"id": route.id, **await route_fields(guardrail, route)})

    async def clear(self, request: Request) -> JSONResponse:
        guardrail, route = self._lookup(request)
        if not await guardrail.clear(route.id, by="admin api"):
            raise Refused(404, "no_override", f"route {route.id!r} has no guardrail override")
        position, source = guardrail.position(route)
        return JSONResponse(
            {"id": route.id, "cleared": True, "effective": {**position.as_json(), "by": source}}
        )

    async def history(self, request: Request) -> JSONResponse:
        guardrail, route = self._lookup(request)
        raw = request.query_params.get("limit", str(HISTORY_LIMIT))
        if not raw.isdigit() or not 1 <= int(raw) <= HISTORY_LIMIT:
            raise Refused(400, "bad_request", f"limit must be an integer 1–{HISTORY_LIMIT}")
        entries = await guardrail.store.history(route.id, int(raw))
        return JSONResponse({"id": route.id, "entries": entries})


def guardrail_routes(runtime: Callable[[], Runtime]) -> list[BaseRoute]:
    """The routes above; errors are raised as `proxy.responses.Refused`."""
    api = GuardrailApi(runtime)
    return [
        Endpoint("/api/routes/{route_id}/guardrail", api.show, methods=["GET"]),
        Endpoint("/api/routes/{route_id}/override", api.clear, methods=["DELETE"]),
        Endpoint("/api/routes/{route_id}/history", api.history, methods=["GET"]),
    ]
