"""A small foreign app pair for the guardrail's tests: same answers, a switchable modern.

One ASGI app; `APP_ROLE` (env) names the part it plays and comes back in the
`x-upstream` header. Every `/api/...` path answers the same small JSON after
`APP_DELAY` seconds. `POST /_control?path=/api/x&fail_every=5&slow=3` changes how one
path behaves from now on: every 5th request answers 500, each answer takes 3× as
long (`fail_every=0&slow=1` restores it). `GET /_seen` counts requests per path.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from urllib.parse import parse_qs

from tests.support.asgi import Receive, Scope, Send, answer_lifespan

ROLE = os.environ.get("APP_ROLE", "legacy").encode()
DELAY = float(os.environ.get("APP_DELAY", "0.01"))
BEHAVIOUR: dict[str, tuple[int, float]] = {}
SEEN: Counter[str] = Counter()


async def _json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-upstream", ROLE),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await answer_lifespan(receive, send)
        return
    path: str = scope["path"]
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    if path == "/healthz":
        await _json(send, 200, {"status": "ok"})
    elif path == "/_control" and scope["method"] == "POST":
        BEHAVIOUR[query["path"]] = (int(query.get("fail_every", 0)), float(query.get("slow", 1)))
        await _json(send, 200, {"path": query["path"], "behaviour": BEHAVIOUR[query["path"]]})
    elif path == "/_seen":
        await _json(send, 200, dict(SEEN))
    elif path.startswith("/api/"):
        SEEN[path] += 1
        fail_every, slow = BEHAVIOUR.get(path, (0, 1.0))
        await asyncio.sleep(DELAY * slow)
        if fail_every and SEEN[path] % fail_every == 0:
            await _json(send, 500, {"error": "modern broke"})
        else:
            await _json(send, 200, {"items": [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}]})
    else:
        await _json(send, 404, {"error": path})
