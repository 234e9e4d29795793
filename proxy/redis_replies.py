"""Redis replies read back as text and counts: the one decoder every store uses.

The proxy's clients keep `decode_responses` off (bodies and counters stay bytes, no
per-reply decoding cost), but a caller's own client may decode: every reader here
takes bytes or str alike.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Reply", "int_fields", "text"]

Reply = bytes | str
"""One key, field or value as redis-py returns it (str only when the client decodes)."""


def text(value: Reply) -> str:
    return value.decode() if isinstance(value, bytes) else value


def int_fields(raw: Mapping[Reply, Reply]) -> dict[str, int]:
    """A hash of counters (`HGETALL`) as field name → count."""
    return {text(k): int(v) for k, v in raw.items()}
