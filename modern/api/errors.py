"""The error envelope `{"error": {"code", "message", "fields"?}}`, in one place.

Domain errors carry their code and status; request validation errors become 422
(400 for a body that is not JSON); anything unexpected is a 500 envelope without a
traceback (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from modern.errors import DomainError, StorageError
from modern.wire import dumps

log = logging.getLogger("modern.api")
_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def envelope(
    status: int, code: str, message: str, fields: Mapping[str, str] | None = None
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = dict(fields)
    return Response(dumps({"error": error}), status_code=status, media_type="application/json")


async def _domain(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return envelope(exc.status, exc.code, exc.message, exc.fields)


async def _validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors: Sequence[Any] = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return envelope(400, "bad_request", "the request body is not valid JSON")
    fields: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        path = ".".join(loc[1:]) if len(loc) > 1 else (loc[0] if loc else "request")
        fields.setdefault(path, str(error.get("msg", "invalid")))
    return envelope(422, "validation_error", "the request is not valid", fields)


async def _http(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "error")
    response = envelope(exc.status_code, code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _storage(request: Request, exc: Exception) -> Response:
    log.error("storage error on %s %s: %s", request.method, request.url.path, exc)
    return envelope(503, "unavailable", "the database is unavailable, try again")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return envelope(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(StorageError, _storage)
    app.add_exception_handler(Exception, _unexpected)
