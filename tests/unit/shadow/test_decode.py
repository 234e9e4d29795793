"""Decoding bodies by content encoding and type."""

from __future__ import annotations

import gzip
import zlib

from proxy.shadow.decode import decode_body, header_value


def test_json_variants() -> None:
    assert decode_body((("content-type", "application/json"),), b'{"a": 1}').value == {"a": 1}
    problem = decode_body((("content-type", "application/problem+json"),), b"[1]")
    assert (problem.kind, problem.value) == ("json", [1])
    broken = decode_body((("content-type", "application/json"),), b"{oops")
    assert (broken.kind, broken.value) == ("text", "{oops")


def test_encodings() -> None:
    raw = b'{"a": 1}'
    headers = (("content-type", "application/json"),)
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    deflated = raw_deflate.compress(raw) + raw_deflate.flush()
    assert decode_body((*headers, ("content-encoding", "deflate")), deflated).value == {"a": 1}
    assert decode_body((*headers, ("content-encoding", "gzip")), gzip.compress(raw)).kind == "json"
    unknown = decode_body((*headers, ("content-encoding", "br")), b"\x0b\x02")
    assert unknown.kind == "binary" and str(unknown.value).startswith("sha256:")


def test_text_charset_and_empty() -> None:
    latin = decode_body((("content-type", "text/plain; charset=latin-1"),), "é".encode("latin-1"))
    assert latin.value == "é"
    assert decode_body((), b"").kind == "empty"
    assert decode_body((("content-type", "text/plain; charset=nonsense"),), b"ok").value == "ok"


def test_header_value_joins_repeats() -> None:
    headers = (("link", "<a>"), ("x", "1"), ("link", "<b>"))
    assert header_value(headers, "link") == "<a>, <b>"
    assert header_value(headers, "missing") is None
