"""The proxy's own answers on the data path: small JSON errors, written directly.

These are the only bodies the data path encodes itself; they use the same
`{"error": {"code", "message"}}` envelope as the apps, plus the `request_id` so a
user's report can be matched with the logs.

An upstream failure is told to the client in generic words (`PUBLIC_MESSAGES`): the
upstream's address, errno or parser complaint would tell any client how the
deployment is laid out, and is no use to them. The detail goes to the log and to
the admin API (`proxy.upstream_errors`), found by the request id.

The admin endpoints answer errors in the same envelope: a handler raises `Refused`
where it finds the problem, and the admin app's one exception handler, `answer_refused`,
renders it with `error_response`. `Refused` lives here, beside the envelope, so that
the admin app, the guardrail's and the shadow's admin routes, and the data path's
`NoShadow` (which refuses the shadow's admin calls) raise the same thing.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from proxy.types import Send

__all__ = [
    "PUBLIC_MESSAGES",
    "Refused",
    "answer_refused",
    "error_envelope",
    "error_response",
    "public_message",
    "send_error",
]

PUBLIC_MESSAGES: dict[int, str] = {
    502: "the service could not answer this request; quote the request id if you report it",
    503: "the service is briefly unavailable; try again shortly",
    504: "the service took too long to answer; quote the request id if you report it",
}


def error_envelope(code: str, message: str, request_id: str | None = None) -> dict[str, object]:
    """`{"error": {"code", "message"[, "request_id"]}}`: every error body the proxy writes."""
    error = {"code": code, "message": message}
    if request_id is not None:
        error["request_id"] = request_id
    return {"error": error}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """An admin endpoint's error answer."""
    return JSONResponse(error_envelope(code, message), status_code=status)


class Refused(Exception):
    """An admin request that cannot be answered as asked: raised where the problem is
    found (however deep), answered by `answer_refused` as `error_response(status, code,
    message)`, so no handler checks and returns error responses on its way out."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def answer_refused(request: Request, exc: Exception) -> JSONResponse:
    """The Starlette exception handler for `Refused` (typed for any exception, as
    Starlette's handler table is; registered for `Refused` alone)."""
    assert isinstance(exc, Refused), exc
    return error_response(exc.status, exc.code, exc.message)


def public_message(status: int) -> str:
    """What a client is told about an upstream failure with this status."""
    return PUBLIC_MESSAGES.get(status, "the request failed; quote the request id if you report it")


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
    body = json.dumps(error_envelope(code, message, request_id)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if request_id is not None:
        headers.append((b"x-request-id", request_id.encode("ascii")))
    await send({"type": f"{asgi_type}.start", "status": status, "headers": headers})
    await send({"type": f"{asgi_type}.body", "body": body})
