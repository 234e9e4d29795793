"""Header rules of a transparent proxy: what is end-to-end, what the proxy adds.

Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and are never
forwarded, in either direction: the fixed list plus every header named in
`Connection`. `Expect` is also dropped, because the ASGI server already answered
`100 Continue` to the client. From responses we also drop `Date` and `Server`,
exactly as nginx does: the front server writes its own, and keeping both would
send two of each.

Everything else passes in arrival order with repeats kept (several `Set-Cookie`).
Two rules normalise what reaches the upstream: a second `Host` is refused (400, RFC
9112 §3.2), and `Content-Length` is re-serialised in canonical form. Trailer fields
of a chunked request never get here: the edge protocol drops them
(`proxy.edge.protocol`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from random import getrandbits

__all__ = [
    "HOP_BY_HOP",
    "REQUEST_ID",
    "ForwardedRequest",
    "request_headers",
    "response_headers",
    "valid_request_id",
]

HOP_BY_HOP: frozenset[bytes] = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_DROP_REQUEST = HOP_BY_HOP | {
    b"expect", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host",
}  # fmt: skip
_DROP_RESPONSE = HOP_BY_HOP | {b"date", b"server"}
REQUEST_ID = b"x-request-id"
# Request headers the proxy reads, rewrites or drops; every other one passes as is.
_SPECIAL_REQUEST = _DROP_REQUEST | {
    b"host", b"content-length", b"authorization", b"cookie", REQUEST_ID,
}  # fmt: skip
_REQUEST_ID_OK = re.compile(rb"^[A-Za-z0-9._:+/=-]{1,128}$")


def valid_request_id(value: bytes) -> bool:
    """A client's X-Request-ID is reused only if it is short and plain (log-safe)."""
    return bool(_REQUEST_ID_OK.match(value))


def _connection_named(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    named: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            named.update(token.strip().lower() for token in value.split(b",") if token.strip())
    return named


class ForwardedRequest:
    """The headers to send upstream, plus what the proxy learned reading them.

    Parameters:
        headers: (name, value) pairs as str, ready for the upstream, in arrival order.
        request_id: the X-Request-ID used (the client's or a new one).
        content_length: the declared body length, or None.
        chunked: the client sent `Transfer-Encoding: chunked`.
        authorization, cookie: raw values kept for canary sticky keys.
    """

    __slots__ = ("authorization", "chunked", "content_length", "cookie", "headers", "request_id")

    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.request_id = ""
        self.content_length: int | None = None
        self.chunked = False
        self.authorization: bytes | None = None
        self.cookie: bytes | None = None


def request_headers(
    raw: list[tuple[bytes, bytes]] | Iterable[tuple[bytes, bytes]],
    *,
    client_host: str | None,
    scheme: str,
) -> ForwardedRequest:
    """End-to-end request headers plus X-Forwarded-* and X-Request-ID.

    Raises ValueError (the caller answers 400) for a Content-Length that is not a
    non-negative integer, two that disagree, or more than one Host header.
    """
    out = ForwardedRequest()
    forwarded_for: list[str] = []
    host: str | None = None
    connection: bytes | None = None
    headers = out.headers
    special = _SPECIAL_REQUEST
    for name, value in raw:
        lower = name.lower()
        if lower in special:
            if lower == b"host":
                if host is not None:  # RFC 9112 §3.2: a server answers 400
                    raise ValueError("more than one Host header")
                host = value.decode("latin-1")
            elif lower == b"content-length":
                length = _content_length(value)
                if out.content_length is not None:
                    if length != out.content_length:
                        raise ValueError("conflicting Content-Length headers")
                    continue  # a repeat of the same value: forwarded once
                out.content_length = length
                # Canonical form (`0005` → `5`): the upstream never sees a spelling
                # another parser on the way might read differently.
                headers.append((name.decode("latin-1"), str(length)))
                continue
            elif lower == b"authorization":
                out.authorization = value
            elif lower == b"cookie":
                out.cookie = value if out.cookie is None else out.cookie + b"; " + value
            else:
                if lower == b"transfer-encoding":
                    out.chunked = b"chunked" in value.lower()
                elif lower == b"connection":
                    connection = value if connection is None else connection + b"," + value
                elif lower == REQUEST_ID:
                    if not out.request_id and valid_request_id(value):
                        out.request_id = value.decode("ascii")
                elif lower == b"x-forwarded-for":
                    forwarded_for.append(value.decode("latin-1"))
                continue  # dropped: hop-by-hop, or rewritten below
        headers.append((name.decode("latin-1"), value.decode("latin-1")))
    if connection is not None:
        named = _connection_named([(b"connection", connection)]) - _DROP_REQUEST
        if named:  # rare: `Connection: keep-alive` names only what is dropped anyway
            text = {n.decode("latin-1") for n in named}
            headers[:] = [(n, v) for n, v in headers if n.lower() not in text]
    if not out.request_id:
        out.request_id = f"{getrandbits(128):032x}"  # an id, not a secret: no syscall
    headers.append(("X-Request-ID", out.request_id))
    chain = ", ".join(forwarded_for)
    if client_host and not _ends_with(chain, client_host):
        chain = f"{chain}, {client_host}" if chain else client_host
    if chain:
        headers.append(("X-Forwarded-For", chain))
    headers.append(("X-Forwarded-Proto", scheme))
    if host:
        headers.append(("X-Forwarded-Host", host))
    return out


def _content_length(value: bytes) -> int:
    """The declared length; ValueError unless it is plain ASCII digits."""
    digits = value.strip(b" \t")
    if not digits.isdigit():  # bytes.isdigit: ASCII only, so no `+5`, `-1`, `0x5`, `٥`
        raise ValueError(f"invalid Content-Length {value.decode('latin-1')[:40]!r}")
    significant = digits.lstrip(b"0") or b"0"
    if len(significant) > 18:  # past any real body, and short of int()'s digit limit
        raise ValueError("Content-Length too large")
    return int(significant)


def _ends_with(chain: str, host: str) -> bool:
    # uvicorn's proxy-headers middleware (on by default, trusting loopback) already
    # replaced the client address by the last X-Forwarded-For entry; appending it
    # again would list the same hop twice.
    return bool(chain) and chain.rsplit(",", 1)[-1].strip() == host


def response_headers(
    raw: Iterable[tuple[bytes, bytes]], request_id: str
) -> tuple[list[tuple[bytes, bytes]], bool]:
    """End-to-end response headers for ASGI, and whether X-Request-ID was present.

    The request id is appended when the upstream did not echo it, so the client can
    always quote it. One pass over the headers; a `Connection` header (rare from an
    HTTP/1.1 upstream) names more headers to drop, possibly ones already passed, so
    it restarts the pass with those added.
    """
    raw = raw if isinstance(raw, (list, tuple)) else list(raw)
    out, seen_id = _filter_response(raw, _DROP_RESPONSE)
    if out is None:
        out, seen_id = _filter_response(raw, _DROP_RESPONSE | _connection_named(raw))
        assert out is not None
    if not seen_id:
        out.append((REQUEST_ID, request_id.encode("ascii")))
    return out, seen_id


def _filter_response(
    raw: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...], drop: frozenset[bytes]
) -> tuple[list[tuple[bytes, bytes]] | None, bool]:
    """Headers not in `drop`; (None, False) when a Connection header needs a second pass."""
    out: list[tuple[bytes, bytes]] = []
    seen_id = False
    restart = drop is _DROP_RESPONSE
    for pair in raw:
        lower = pair[0].lower()
        if lower in drop:
            if restart and lower == b"connection":
                return None, False
            continue
        if lower == REQUEST_ID:
            seen_id = True
        out.append(pair)
    return out, seen_id
