"""`api/history`: the recorded snapshots and events, whole or per route, and a way to add
an event (a note, or an override recorded by hand) over HTTP.

Reading needs what every admin GET needs; adding an event is a state change, so the
guard asks for the token (and, from a browser session, the CSRF token). The admin app
routes to `HistoryApi`'s handlers; they raise `proxy.responses.Refused` on bad input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from proxy.history import EVENT_KINDS
from proxy.history.store import MAX_POINTS
from proxy.responses import Refused
from proxy.runtime import Runtime

__all__ = ["POSTABLE_KINDS", "HistoryApi", "history_summary", "route_states"]

POSTABLE_KINDS = tuple(kind for kind in EVENT_KINDS if kind != "stage")  # stages: routes.yaml's
MAX_BODY = 16 * 1024
SUMMARY_EVENTS = 20


def route_states(points: Sequence[Mapping[str, object]], route_id: str) -> list[dict[str, object]]:
    """A route's state at each snapshot where it changed (stage, effective, canary %)."""
    out: list[dict[str, object]] = []
    last: object = None
    for point in points:
        routes = point.get("routes")
        state = routes.get(route_id) if isinstance(routes, Mapping) else None
        if state != last:
            out.append({"ts": point.get("ts"), "time": point.get("time"),
                        "revision": point.get("revision"), "state": state})  # fmt: skip
            last = state
    return out


async def history_summary(runtime: Runtime) -> dict[str, object]:
    """The `history` object of `api/status`: the latest events and the last snapshot."""
    last = await runtime.history.last_point()
    events = await runtime.history.events(limit=SUMMARY_EVENTS)
    return {
        "last_snapshot": None if last is None else {
            k: last.get(k) for k in ("time", "kind", "revision", "percent_routes",
                                     "percent_traffic")
        },
        "recent_events": events,
    }  # fmt: skip


def _bad(message: str) -> Refused:
    return Refused(400, "bad_request", message)


def _window(request: Request) -> tuple[float | None, int]:
    """`?since=` (Unix seconds) and `?limit=` (points, capped at `MAX_POINTS`)."""
    raw, raw_limit = request.query_params.get("since"), request.query_params.get("limit")
    try:
        since = float(raw) if raw else None
    except ValueError:
        raise _bad(f"since={raw!r}: not a Unix time in seconds") from None
    if raw_limit is not None and not (raw_limit.isdigit() and int(raw_limit) > 0):
        raise _bad(f"limit={raw_limit!r}: a whole number above 0")
    return since, min(int(raw_limit), MAX_POINTS) if raw_limit else MAX_POINTS


@dataclass(frozen=True, slots=True)
class _NewEvent:
    kind: str
    reason: str
    route: str | None
    details: dict[str, object] | None


async def _new_event(request: Request, runtime: Runtime) -> _NewEvent:
    """The event a `POST api/history/events` body asks for, checked."""
    body = await request.body()
    try:
        data = json.loads(body) if len(body) <= MAX_BODY else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _bad("send a JSON object {kind, reason, route?}")
    kind, reason, route = data.get("kind", "note"), data.get("reason"), data.get("route")
    if kind not in POSTABLE_KINDS:
        raise _bad(f"kind must be one of {', '.join(POSTABLE_KINDS)}")
    if not isinstance(reason, str) or len(reason.strip()) < 3:
        raise _bad("reason: a sentence of at least 3 characters")
    if route is not None and route not in runtime.table.by_id:
        raise Refused(404, "not_found", f"no route {route!r} in routes.yaml")
    details = data.get("details")
    return _NewEvent(kind, reason.strip(), route, details if isinstance(details, dict) else None)


class HistoryApi:
    """The handlers; `runtime()` returns the worker's live state, or raises the admin
    app's 503 while the proxy is starting."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._runtime = runtime

    async def history(self, request: Request) -> Response:
        """GET api/history: the snapshots (`?since=`, `?limit=`) and every event."""
        runtime = self._runtime()
        since, limit = _window(request)
        return JSONResponse({
            "points": await runtime.history.points(since=since, limit=limit),
            "events": await runtime.history.events(),
        })  # fmt: skip

    async def route_history(self, request: Request) -> Response:
        """GET api/history/routes/{id}: a route's states, events and figures, also for a
        route since removed from routes.yaml."""
        runtime = self._runtime()
        route_id = request.path_params["route_id"]
        points = await runtime.history.points()
        states = route_states(points, route_id)
        if route_id not in runtime.table.by_id and not any(s["state"] for s in states):
            raise Refused(404, "not_found", f"no route {route_id!r} now or in the history")
        events = [e for e in await runtime.history.events(route=route_id) if e.get("route")]
        figures = await runtime.figures.of(route_id)
        return JSONResponse(
            {"route": route_id, "states": states, "events": events, "figures": figures}
        )

    async def add_event(self, request: Request) -> Response:
        """POST api/history/events: a note, or an override recorded by hand."""
        runtime = self._runtime()
        new = await _new_event(request, runtime)
        event = await runtime.history.add_event(
            kind=new.kind, reason=new.reason, route=new.route, details=new.details
        )
        return JSONResponse(event, status_code=201)
