"""The proxy's own answers on the data path: small JSON errors, written directly.

These are the only bodies the data path encodes itself; they use the same
`{"error": {"code", "message"}}` envelope as the apps, plus the `request_id` so a
user's report can be matched with the logs.
"""

from __future__ import annotations

import json

from proxy.types import Send

__all__ = ["send_error"]


async def send_error(send: Send, status: int, code: str, message: str, request_id: str) -> None:
    body = json.dumps(
        {"error": {"code": code, "message": message, "request_id": request_id}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
