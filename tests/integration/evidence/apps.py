"""A small foreign app pair (an invoicing service) for the evidence tests.

Nobody here wrote it for the strangler: no bearer tokens, its own JSON shape. One
app plays both parts by environment: `INVOICE_ROLE` = `legacy` or `modern`. Modern
can be steered at run time, as a deploy would change it:
`POST /_control {"planted": bool, "version": str | null}`; with `planted` on, every
invoice carries a `formatted` field that legacy does not have (the planted
mismatch a `compare: {ignore: [formatted]}` rule explains), and `version` is
announced in `X-App-Version`. Every answer names its side in `X-Side`.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROLE = os.environ.get("INVOICE_ROLE", "legacy")
STATE: dict[str, object] = {"planted": ROLE == "modern", "version": None}


def _headers() -> dict[str, str]:
    headers = {"x-side": ROLE}
    if ROLE == "modern" and STATE["version"]:
        headers["x-app-version"] = str(STATE["version"])
    return headers


async def invoice(request: Request) -> Response:
    number = request.path_params["number"]
    body: dict[str, object] = {"number": number, "total_cents": 1250, "currency": "EUR"}
    if ROLE == "modern" and STATE["planted"]:
        body["formatted"] = "€12.50"
    return JSONResponse(body, headers=_headers())


async def control(request: Request) -> Response:
    STATE.update(await request.json())
    return JSONResponse(STATE)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/_control", control, methods=["POST"]),
        Route("/invoices/{number}", invoice),
    ]
)
