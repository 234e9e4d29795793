"""Rendering to the wire: timestamps as `YYYY-MM-DDTHH:MM:SS.mmmZ`, compact JSON.

Used by the API for replies and by services for live events, so that both agree with
legacy byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def format_timestamp(value: datetime) -> str:
    """An aware (or naive-UTC) datetime as ISO 8601 UTC with milliseconds and `Z`."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def now_ms() -> datetime:
    """Now in UTC truncated to milliseconds, as stored (so a reply and a later read agree)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(content: object) -> bytes:
    """Compact JSON exactly as Starlette's JSONResponse writes it, datetimes rendered."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default
    ).encode("utf-8")
