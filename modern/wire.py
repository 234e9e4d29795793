"""Rendering to the wire: timestamps as `YYYY-MM-DDTHH:MM:SS.mmmZ`, compact JSON.

Used by the API for replies, by the read model for the views it caches
(`modern.readmodel`) and by the event bus for live events, so that all agree with
legacy byte for byte; never by services (an import-linter contract). `Raw` marks JSON
rendered once and cached (a room summary with its members, a history page): `dumps`
writes it in place as is instead of decoding and re-encoding megabytes per request.

Why orjson with `orjson.Fragment`, and not the standard library's encoder with a
marker spliced out afterwards, as before (`scripts/bench_render.py` compares the two
on the same pieces, bytes identical; 2 cores, medians of 7 rounds of 200): the home
page in 0.35x the time (112 against 317 µs), the 2.4 MB room list in 0.79x (214
against 270 µs). Each `Raw` holds its Fragment made once from its bytes (no copy: a
worker's copies of the views keep `Raw`s), since orjson copies any bytes that are not
exactly `bytes` into a Fragment, and a Fragment neither gives its bytes back nor can be
subclassed to carry them: a `Raw` still decodes for `?fields=` and is sent whole.

The bytes are the standard library's (`json.dumps(..., ensure_ascii=False,
separators=(",", ":"))`, as Starlette's JSONResponse and legacy write) for everything
a reply holds: strings (non-ASCII as is, control characters as `\\u00XX`), key order,
integers within 64 bits, booleans, null, lists and objects with string keys. orjson
differs only where no reply goes, since the domain has no float fields (stored numbers
become text in `modern.repositories.documents`) and no integer beyond a count:
floats between 1e-9 and 1e-4 in magnitude (`1e-05` is written `0.00001`), NaN and
Infinity (written `null`, where the standard library refused them), integers beyond
64 bits (refused), and dataclasses, UUIDs and plain enums (written, where the
standard library refused them). `scripts/bench_render.py` checks both lists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

# Datetimes go to `_default` (orjson's own format has microseconds and `+00:00`).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


class Raw:
    """Already rendered JSON (UTF-8), written verbatim by `dumps`."""

    __slots__ = ("body", "fragment")

    def __init__(self, body: bytes) -> None:
        self.body = body if type(body) is bytes else bytes(body)
        self.fragment = orjson.Fragment(self.body)

    def __len__(self) -> int:
        """The size of the rendering in bytes (what a worker's copies budget)."""
        return len(self.body)

    def value(self) -> Any:
        """The decoded JSON (timestamps stay strings: they render to themselves)."""
        return orjson.loads(self.body)


def format_timestamp(value: datetime) -> str:
    """An aware (or naive-UTC) datetime as ISO 8601 UTC with milliseconds and `Z`."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _default(value: object) -> Any:
    if isinstance(value, Raw):
        return value.fragment
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(content: object) -> bytes:
    """Compact JSON exactly as Starlette's JSONResponse writes it, datetimes rendered,
    `Raw` parts written in unchanged."""
    if isinstance(content, Raw):
        return content.body
    return orjson.dumps(content, default=_default, option=_OPTIONS)
