"""Read a captured body the way a client would: decompressed, then parsed by type.

Comparison works on meaning, not bytes: legacy may gzip where modern does not, and
two JSON documents with the same content are equal whatever their key spacing. JSON
is parsed, other text compared as text, and anything else by SHA-256, so that a
binary body never ends up in a difference sample.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from typing import Literal

from proxy.exchange import Headers

__all__ = ["Decoded", "decode_body", "header_value"]

BodyKind = Literal["empty", "json", "text", "binary"]
_TEXT_TYPES = ("text/", "application/xml", "application/javascript", "application/x-www-form")


@dataclass(frozen=True, slots=True)
class Decoded:
    """A body's meaning: `kind` and a comparable `value` (JSON value, str, or hash)."""

    kind: BodyKind
    value: object


def header_value(headers: Headers, name: str) -> str | None:
    """All values of one header joined by `, ` (the HTTP list form), or None."""
    values = [v for k, v in headers if k == name]
    return ", ".join(values) if values else None


def _decompress(body: bytes, encoding: str) -> bytes | None:
    """Undo gzip / deflate; None when the encoding is unknown or the data is corrupt."""
    try:
        for coding in reversed([c.strip() for c in encoding.split(",") if c.strip()]):
            if coding == "gzip" or coding == "x-gzip":
                body = gzip.decompress(body)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:  # some servers send raw deflate without the zlib header
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif coding != "identity":
                return None
    except (OSError, EOFError, zlib.error):
        return None
    return body


def _binary(body: bytes) -> Decoded:
    return Decoded("binary", f"sha256:{hashlib.sha256(body).hexdigest()}")


def decode_body(headers: Headers, body: bytes) -> Decoded:
    encoding = (header_value(headers, "content-encoding") or "identity").lower()
    plain = _decompress(body, encoding)
    if plain is None:
        return _binary(body)
    if not plain:
        return Decoded("empty", "")
    content_type = (header_value(headers, "content-type") or "").lower()
    media, _, params = content_type.partition(";")
    media = media.strip()
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key == "charset" and value:
            charset = value.strip('"')
    if media == "application/json" or media.endswith("+json"):
        try:
            return Decoded("json", json.loads(plain.decode(charset, errors="replace")))
        except (ValueError, LookupError):
            pass  # a broken JSON body is still comparable as text
    if media == "application/json" or media.endswith("+json") or media.startswith(_TEXT_TYPES):
        try:
            return Decoded("text", plain.decode(charset, errors="replace"))
        except LookupError:
            return Decoded("text", plain.decode("utf-8", errors="replace"))
    return _binary(plain)
