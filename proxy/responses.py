"""The proxy's own answers on the data path: small JSON errors, written directly.

These are the only bodies the data path encodes itself; they use the same
`{"error": {"code", "message"}}` envelope as the apps, plus the `request_id` so a
user's report can be matched with the logs.
"""

from __future__ import annotations

import json

from proxy.types import Send

__all__ = ["send_error"]


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    request_id: str | None = None,
    *,
    asgi_type: str = "http.response",
) -> None:
    """A JSON error reply. `asgi_type` is `websocket.http.response` to refuse a
    WebSocket handshake with a body (the ASGI extension); `request_id` is echoed in
    the body and the `X-Request-ID` header when there is one."""
    error = {"code": code, "message": message}
    if request_id is not None:
        error["request_id"] = request_id
    body = json.dumps({"error": error}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if request_id is not None:
        headers.append((b"x-request-id", request_id.encode("ascii")))
    await send({"type": f"{asgi_type}.start", "status": status, "headers": headers})
    await send({"type": f"{asgi_type}.body", "body": body})
