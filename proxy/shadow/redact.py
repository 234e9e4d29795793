"""Redaction: evidence must never leak a credential into the dashboard or a log.

Applied to everything a sample stores: header values, query strings, JSON values
(recursively, by key name) and free text (bearer strings, `token=…` pairs, JSON-ish
`"password": "…"` fragments inside text bodies).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

__all__ = ["REDACTED", "is_sensitive", "redact", "redact_headers", "redact_query", "redact_text"]

REDACTED = "[redacted]"
_SENSITIVE = re.compile(
    r"token|passw|secret|api[-_]?key|authori[sz]ation|cookie|session|credential|private[-_]?key",
    re.IGNORECASE,
)
_KEY = r"[\w.-]*(?:token|passw\w*|secret|api[-_]?key|session\w*|authorization)[\w.-]*"
_BEARER = re.compile(r"\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
_PAIR = re.compile(rf"(\b{_KEY}=)[^&\s\"';,>]+", re.IGNORECASE)
_JSONISH = re.compile(rf"(\"{_KEY}\"\s*:\s*)(\"(?:[^\"\\]|\\.)*\"|[^,}}\s]+)", re.IGNORECASE)


def is_sensitive(name: str) -> bool:
    """A header, query parameter or JSON key whose value is a credential."""
    return bool(_SENSITIVE.search(name))


def redact_text(text: str) -> str:
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _PAIR.sub(lambda m: m.group(1) + REDACTED, text)
    return _JSONISH.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)


def redact(value: object, key: str | None = None) -> object:
    """A copy of a JSON-like value with credentials replaced, by key name and by content."""
    if key is not None and is_sensitive(key) and value is not None:
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_query(query: str) -> str:
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return redact_text(query)
    return urlencode(
        [(k, REDACTED if is_sensitive(k) else redact_text(v)) for k, v in pairs], safe="[]"
    )


def redact_headers(headers: tuple[tuple[str, str], ...]) -> list[list[str]]:
    return [[k, REDACTED if is_sensitive(k) else redact_text(v)] for k, v in headers]
