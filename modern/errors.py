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

    Each kind names its code and status where it is declared (`class NotFound(DomainError,
    code="not_found", status=404)`), so that the table of kinds reads as one.
    """

    code = "error"
    status = 400

    def __init_subclass__(cls, *, code: str, status: int) -> None:
        super().__init_subclass__()
        cls.code = code
        cls.status = status

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields) if fields else None


class BadRequest(DomainError, code="bad_request", status=400):
    """A request that cannot mean anything (a cursor that does not decode)."""


class Unauthorized(DomainError, code="unauthorized", status=401):
    """No bearer token, an invalid or expired one, or a wrong username or password."""


class Forbidden(DomainError, code="forbidden", status=403):
    """Posting where not a member, changing another's message."""


class NotFound(DomainError, code="not_found", status=404):
    """No such user, room or message."""


class Conflict(DomainError, code="conflict", status=409):
    """A taken username; a message others kept changing (its compare-and-set gave up)."""


class ValidationFailed(DomainError, code="validation_error", status=422):
    """A request the schemas let through but that names nothing (an unknown `?fields=`)."""


class StorageError(Exception):
    """The database could not serve a query (wraps a pymongo error)."""


class DuplicateKeyError(StorageError):
    """An insert or update violated a unique index."""


class CacheUnavailable(Exception):
    """Redis could not be reached; callers degrade to direct reads."""
