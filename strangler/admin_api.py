"""Calls to a running proxy's admin API, for the commands that act on one.

One place turns transport failures, a missing admin token and error replies into
one-line `CommandError`s, so each command only says what it asked for.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from strangler.errors import CommandError

__all__ = ["DEFAULT_URL", "add_url_argument", "call"]

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = 10.0


def add_url_argument(parser: Any) -> None:
    parser.add_argument("--url", default=DEFAULT_URL, help="proxy base URL (default %(default)s)")


def call(
    method: str,
    url: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    json: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    """`method /_strangler/<path>` with $STRANGLER_ADMIN_TOKEN; (status, JSON body).

    Raises CommandError when the proxy cannot be reached, wants the token, or does
    not answer JSON; other statuses are the caller's to explain.
    """
    token = os.environ.get("STRANGLER_ADMIN_TOKEN") or None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    endpoint = url.rstrip("/") + "/_strangler/" + path.lstrip("/")
    try:
        reply = httpx.request(
            method, endpoint, headers=headers, params=params, json=json, timeout=TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach the proxy at {url}: {exc}") from None
    if reply.status_code == 401:
        raise CommandError(f"{endpoint} needs the admin token: set STRANGLER_ADMIN_TOKEN")
    try:
        document = reply.json()
    except ValueError:
        raise CommandError(f"{endpoint} answered {reply.status_code}, not JSON") from None
    if not isinstance(document, dict):
        raise CommandError(f"{endpoint} answered an unexpected document")
    return reply.status_code, document


def error_message(document: dict[str, Any]) -> str:
    error = document.get("error")
    return str(error.get("message")) if isinstance(error, dict) else str(document)[:200]
