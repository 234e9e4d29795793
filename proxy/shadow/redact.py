"""Redaction: evidence must never leak a credential into the dashboard or a log.

Applied to everything a sample stores: header values, query strings, JSON values
(recursively) and free text. Two rules, because a credential is recognised either
by where it is or by what it looks like:

- by name: a header, query parameter, JSON key or `name=value` pair whose name says
  credential (`authorization`, `*token*`, `password`, `api_key`, `session*`, `sid`,
  `jwt`, `csrf`, …) has its whole value replaced;
- by shape, under any name: a JWT (`eyJ….….…`), a `Bearer …`/`Basic …` credential,
  a cookie-style pair such as `sid=…`, and a long random-looking token (20+
  characters of the base64/base64url alphabet mixing upper case, lower case and a
  digit or `-_+`, with a character entropy near that of random text).

The token rule is a heuristic, tuned to keep what evidence needs: hexadecimal
strings (ObjectIds, UUIDs, request ids, hashes) and words, identifiers, dates and
URLs stay readable. A random token that happens to fall outside it (all lower case,
or under 20 characters) is still caught when its name gives it away.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "REDACTED",
    "is_sensitive",
    "looks_random",
    "redact",
    "redact_headers",
    "redact_query",
    "redact_text",
]

REDACTED = "[redacted]"
_SENSITIVE = re.compile(
    r"token|passw|secret|api[-_]?key|authori[sz]ation|cookie|session|sessid|credential"
    r"|private[-_]?key|(?:^|[^a-z])(?:sid|jwt|auth|csrf|xsrf)(?:$|[^a-z])",
    re.IGNORECASE,
)
_KEY = (
    r"(?:[\w.-]*(?:token|passw\w*|secret|api[-_]?key|session\w*|sessid|authorization)[\w.-]*"
    r"|(?:[\w.-]*[._-])?(?:sid|jwt|auth|csrf|xsrf)(?:[._-][\w.-]*)?)"
)
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
_BEARER = re.compile(r"\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
_PAIR = re.compile(rf"(\b{_KEY}=)[^&\s\"';,>]+", re.IGNORECASE)
_JSONISH = re.compile(rf"(\"{_KEY}\"\s*:\s*)(\"(?:[^\"\\]|\\.)*\"|[^,}}\s]+)", re.IGNORECASE)
_RUN = re.compile(r"(?<![\w+-])[\w+-]{20,}={0,2}")
MIN_TOKEN_CHARS = 20
# Share of the most entropy a string of that length can have: random base64 text of
# 20+ characters scores well above it, words and identifiers below.
_ENTROPY_SHARE = 0.8


def is_sensitive(name: str) -> bool:
    """A header, query parameter or JSON key whose value is a credential."""
    return bool(_SENSITIVE.search(name))


def looks_random(word: str) -> bool:
    """Whether a run of token characters is shaped like a generated secret."""
    core = word.rstrip("=")
    if len(core) < MIN_TOKEN_CHARS or not core.isascii():
        return False
    upper = lower = other = False
    for char in core:
        upper = upper or char.isupper()
        lower = lower or char.islower()
        other = other or char.isdigit() or char in "-_+"
    if not (upper and lower and other):
        return False
    counts = Counter(core).values()
    size = len(core)
    entropy = -sum(n / size * math.log2(n / size) for n in counts)
    return entropy >= _ENTROPY_SHARE * math.log2(min(size, 64))


def _token(match: re.Match[str]) -> str:
    return REDACTED if looks_random(match.group()) else match.group()


def redact_text(text: str) -> str:
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _PAIR.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JSONISH.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)
    return _RUN.sub(_token, text)


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
