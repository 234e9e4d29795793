"""Keyset pages and their opaque cursors.

A cursor is the sort key of the last item of a page, base64url-encoded JSON. It is
opaque to clients; a cursor that does not decode to the expected shape is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from modern.domain import Key
from modern.errors import BadRequest

T = TypeVar("T")
Kind = Literal["datetime", "datetime?", "str", "str?", "id", "id?"]
_ID = re.compile(r"[0-9a-f]{24}")
_MAX_CURSOR_CHARS = 1024


class Rendering(Protocol):
    """A page's items rendered whole by the read model (`modern.wire.Raw`)."""

    def value(self) -> Any:
        """The items decoded (only to pick `?fields=`; otherwise written as they are)."""
        ...


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items and the cursor of the next page (None at the end).
    `items` may be rendered already by the read model (`modern.readmodel`): a list of
    renderings, or one rendering of them all. Services pass them on unopened."""

    items: list[T] | Rendering
    next_cursor: str | None = None


@dataclass(frozen=True)
class Rows(Generic[T]):
    """A page as fetched, before anything renders it: `items` are still rows."""

    items: list[T]
    next_cursor: str | None = None


def make_page(rows: list[T], limit: int, key: Callable[[T], Key]) -> Rows[T]:
    """`rows` were fetched with `limit + 1`: the extra row only says more exist."""
    if len(rows) <= limit:
        return Rows(rows)
    items = rows[:limit]
    return Rows(items, encode_cursor(key(items[-1])))


def encode_cursor(key: Key) -> str:
    values = [{"t": int(v.timestamp() * 1000)} if isinstance(v, datetime) else v for v in key]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None, kinds: Sequence[Kind]) -> Key | None:
    """The key inside `token`, checked against `kinds`; None when there is no cursor."""
    if token is None:
        return None
    try:
        if len(token) > _MAX_CURSOR_CHARS:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong shape")
        return tuple(_check(v, kind) for v, kind in zip(values, kinds, strict=True))
    except (ValueError, TypeError, binascii.Error, OverflowError, OSError):
        raise BadRequest(
            "invalid cursor", fields={"cursor": "not a cursor this list issued"}
        ) from None


def _check(value: Any, kind: Kind) -> Any:
    if kind.startswith("datetime"):
        if value is None and kind == "datetime?":
            return None
        if isinstance(value, dict) and isinstance(value.get("t"), int) and len(value) == 1:
            return datetime.fromtimestamp(value["t"] / 1000, UTC)
        raise ValueError("bad datetime")
    if value is None and kind.endswith("?"):
        return None
    if not isinstance(value, str):
        raise ValueError("bad string")
    if kind.startswith("id") and not _ID.fullmatch(value):
        raise ValueError("bad id")
    return value
