"""Rendering to the wire: timestamps as `YYYY-MM-DDTHH:MM:SS.mmmZ`, compact JSON.

Used by the API for replies, by the read model for the views it caches
(`modern.readmodel`) and by the event bus for live events, so that all agree with
legacy byte for byte; never by services (an import-linter contract). `Raw` marks JSON
rendered once and cached (a room summary with its members, a history page): `dumps`
splices it in as is instead of decoding and re-encoding megabytes per request.

Why a marker splice and not `orjson.Fragment` (`scripts/bench_render.py`, same pieces,
bytes identical, 2 cores, medians of 7 rounds): orjson with a `default` turning each
`Raw` into a Fragment wrote the home page in 0.36x the time but the 2.4 MB room list
in 1.7x (orjson takes only exact `bytes` for a Fragment, so each piece is copied
first); with the pieces held as Fragments from the start, 0.35x and 0.74x. Only that
last form wins everywhere, and it needs orjson as a dependency and the read model and
the local copies to keep Fragments instead of `Raw`: not done yet.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any


class Raw(bytes):
    """Already rendered JSON (UTF-8), spliced verbatim into the output of `dumps`."""

    def value(self) -> Any:
        """The decoded JSON (timestamps stay strings: they render to themselves)."""
        return json.loads(self)


# A Raw value is first written as a marker string, then replaced by its bytes. The
# marker carries a per-process secret, so no user text can forge one.
_MARK = f"\x00raw-{secrets.token_hex(8)}-"
_MARKED = re.compile(rb'"\\u0000raw-' + _MARK[5:].encode() + rb'(\d+)"')


def format_timestamp(value: datetime) -> str:
    """An aware (or naive-UTC) datetime as ISO 8601 UTC with milliseconds and `Z`."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(content: object) -> bytes:
    """Compact JSON exactly as Starlette's JSONResponse writes it, datetimes rendered,
    `Raw` parts spliced in unchanged."""
    if isinstance(content, Raw):
        return bytes(content)
    fragments: list[bytes] = []

    def default(value: object) -> Any:
        if isinstance(value, Raw):
            fragments.append(value)
            return f"{_MARK}{len(fragments) - 1}"
        return _default(value)

    out = json.dumps(
        content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=default
    ).encode("utf-8")
    if fragments:
        out = _MARKED.sub(lambda match: fragments[int(match[1])], out)
    return out
