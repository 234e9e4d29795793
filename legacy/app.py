"""The legacy app: `legacy.app:app`, the "before" of the case study.

Run it with `strangler serve legacy` (uvicorn on 127.0.0.1:8001). The pymongo client
is opened in the lifespan from MONGODB_URI, never at import, so tooling can load this
module to read its route table without a database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from legacy import live, routes_auth, routes_home, routes_messages, routes_rooms, routes_users
from legacy.db import connect


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    client, app.state.db = connect()
    try:
        yield
    finally:
        client.close()


# The interactive docs pages are off so the route table is the API itself (plus
# /openapi.json, which other tooling reads).
app = FastAPI(title="legacy social app", lifespan=lifespan, docs_url=None, redoc_url=None)
# The routes are added flat (not `include_router`, which nests them in a wrapper in
# recent FastAPI) so that `app.routes` lists every endpoint with its path and methods:
# the ratchet reads the legacy inventory from there.
for module in (routes_auth, routes_users, routes_rooms, routes_messages, routes_home, live):
    app.router.routes.extend(module.router.routes)


@app.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def internal_error(request: Request, exc: Exception) -> PlainTextResponse:
    """Malformed input ends here (the legacy flaw): a bare 500, never a traceback page.

    The server logs the traceback and then closes the connection, so the reply says
    `Connection: close` and a keep-alive client (the proxy's pool) does not reuse it.
    """
    return PlainTextResponse(
        "Internal Server Error", status_code=500, headers={"Connection": "close"}
    )


app.add_exception_handler(Exception, internal_error)
