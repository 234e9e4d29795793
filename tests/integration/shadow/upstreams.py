"""A small legacy-like upstream, and its deliberately divergent twins, for shadow tests.

One app, configured by environment (so each server process plays one part):
`SHADOW_ROLE` = `legacy` (whole lists) or `modern` (bounded lists with
`Link: rel="next"`, as the real modern does), and `SHADOW_DIVERGENCE` = `none`,
`changed` (a member's display_name), `missing` (rooms lose `topic`), `reordered`
(rooms in another order), `status` (404 for the room list) or `slow` (every API
answer waits `SHADOW_SLOW_SECONDS`). `GET /_stats` reports what the server received,
so tests can prove what did (and did not) reach it.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import uuid
from collections import Counter

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROLE = os.environ.get("SHADOW_ROLE", "legacy")
DIVERGENCE = os.environ.get("SHADOW_DIVERGENCE", "none")
SLOW_SECONDS = float(os.environ.get("SHADOW_SLOW_SECONDS", "2"))
SEEN: Counter[str] = Counter()

USERS = [
    {"id": f"u{i:02d}", "username": f"user{i:02d}", "display_name": f"User {i}", "bio": None}
    for i in range(12)
]
ROOMS = [
    {
        "id": f"r{i}",
        "name": f"room {i}",
        "topic": f"topic {i}",
        "members": [dict(u) for u in USERS[i : i + 3]],
        "message_count": 8,
    }
    for i in range(4)
]
MESSAGES = [
    {"id": f"m{i}", "text": f"hello {i}", "created_at": f"2026-11-28T06:0{i}:00.000Z"}
    for i in range(8)
]


def _json(value: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(value), status_code=status, media_type="application/json", headers=headers
    )


def _page(items: list, limit: int, newest: bool) -> tuple[list, dict[str, str]]:
    """Modern's bounded page: the head (or the newest tail) plus a next link."""
    if ROLE != "modern" or len(items) <= limit:
        return items, {}
    page = items[-limit:] if newest else items[:limit]
    return page, {"link": '</next?cursor=abc>; rel="next"'}


async def _seen(request: Request) -> None:
    SEEN[f"{request.method} {request.url.path}"] += 1
    if request.headers.get("x-strangler-shadow") == "1":
        SEEN["shadow-header"] += 1
    if DIVERGENCE == "slow" and request.url.path.startswith("/api/"):
        SEEN["in-flight"] += 1
        SEEN["max-in-flight"] = max(SEEN["max-in-flight"], SEEN["in-flight"])
        try:
            await asyncio.sleep(SLOW_SECONDS)
        finally:
            SEEN["in-flight"] -= 1


async def rooms(request: Request) -> Response:
    await _seen(request)
    if DIVERGENCE == "status":
        return _json({"error": {"code": "not_found", "message": "gone"}}, 404)
    body = [dict(r) for r in ROOMS]
    if DIVERGENCE == "changed":
        body[1] = {**body[1], "members": [dict(m) for m in body[1]["members"]]}
        body[1]["members"][2]["display_name"] = "Someone Else"
    elif DIVERGENCE == "missing":
        body = [{k: v for k, v in r.items() if k != "topic"} for r in body]
    elif DIVERGENCE == "reordered":
        body = [body[1], body[0], *body[2:]]
    return _json(body)


async def users(request: Request) -> Response:
    await _seen(request)
    page, headers = _page(USERS, 5, newest=False)
    return _json(page, headers=headers)


async def messages(request: Request) -> Response:
    await _seen(request)
    page, headers = _page(MESSAGES, 3, newest=True)
    raw = json.dumps(page).encode()
    if ROLE == "legacy":  # legacy compresses; the comparison must read through it
        return Response(
            gzip.compress(raw),
            media_type="application/json",
            headers={**headers, "content-encoding": "gzip"},
        )
    return Response(raw, media_type="application/json", headers=headers)


async def clock(request: Request) -> Response:
    await _seen(request)
    return _json({"name": "clock", "now": uuid.uuid4().hex})


async def create_room(request: Request) -> Response:
    await _seen(request)
    body = await request.json()
    return _json({"id": "new", "name": body.get("name")}, 201)


async def echo(request: Request) -> Response:
    """What arrived, so a comparison proves the mirror repeats the user's request."""
    await _seen(request)
    wanted = ("authorization", "content-type", "x-custom")
    return _json(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": (await request.body()).decode(),
            "headers": {name: request.headers.get(name) for name in wanted},
        }
    )


async def redirect(request: Request) -> Response:
    await _seen(request)
    return Response(status_code=302, headers={"location": "/api/rooms"})


async def stats(request: Request) -> Response:
    return JSONResponse(dict(SEEN))


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/_stats", stats),
        Route("/api/rooms", rooms, methods=["GET"]),
        Route("/api/rooms", create_room, methods=["POST"]),
        Route("/api/users", users),
        Route("/api/rooms/{room_id}/messages", messages),
        Route("/api/clock", clock),
        Route("/api/echo", echo, methods=["GET", "POST"]),
        Route("/api/redirect", redirect),
    ]
)
