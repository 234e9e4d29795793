"""Errors shared by the layers: domain errors (services raise them, the API maps them to
HTTP in one handler) and storage errors (repositories wrap driver errors in them).

They live beside the layers so that every layer may raise or catch them without
importing another layer.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A request the domain refuses. `code` is the wire error code, `status` its HTTP status.

    Parameters:
        message: a sentence for the client.
        fields: optional `{field path: message}` for validation-like errors.
    """

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields) if fields else None


class BadRequest(DomainError):
    code = "bad_request"
    status = 400


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422


class StorageError(Exception):
    """The database could not serve a query (wraps a pymongo error)."""


class DuplicateKeyError(StorageError):
    """An insert or update violated a unique index."""


class CacheUnavailable(Exception):
    """Redis could not be reached; callers degrade to direct reads."""
