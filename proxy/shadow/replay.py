"""Replay one captured request to an upstream and capture its answer whole.

The mirrored request is the one legacy received: the same method, the same raw
request target (path and query byte for byte, percent-encoding kept: `%3F` stays a
path character, `%252e` is not decoded twice), the same end-to-end headers (Host
included), the same body, plus `X-Strangler-Shadow: 1` so modern can tell a mirror
from a user and skip side effects such as analytics. A target the client library
cannot send byte for byte is not mirrored at all (`NotMirrorable`, counted as
skipped with its reason): a comparison of a different request would skew the
statistics that decide promotion. Redirects are never followed (the answer compared
is the redirect itself), and the body is read up to a cap so a runaway answer
cannot eat the worker's memory.

Errors are ours at this boundary: whatever aiohttp raises for a failed exchange
becomes `ReplayFailed`, so the runner does not depend on the client library.

Why aiohttp and not the forwarding client (`proxy.upstream_client`): mirrors must
never take a pool slot a user's request is waiting for, so they would need pools of
their own anyway, and off the request path the session's extra cost is not what
limits anything. Every target uvicorn accepts (ASCII) aiohttp sends unchanged when
given it pre-encoded; the tests compare the bytes each upstream received.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from proxy.exchange import CapturedRequest, CapturedResponse

__all__ = [
    "SHADOW_HEADER",
    "BodyTooLarge",
    "NotMirrorable",
    "ReplayFailed",
    "replay",
    "sendable_target",
]

SHADOW_HEADER = "x-strangler-shadow"
_CHUNK = 64 * 1024
# Framing the client library sets from the body; `expect` was answered by the proxy.
_DROP = frozenset({"content-length", "transfer-encoding", "connection", "expect"})
# aiohttp writes the request line as UTF-8 text and yarl reads `#` as a fragment:
# a target with these could not reach modern as the bytes legacy got.
_UNSENDABLE = frozenset(chr(c) for c in (*range(0x21), 0x7F)) | {"#"}


class BodyTooLarge(Exception):
    """The upstream's answer was larger than the capture cap; the comparison is skipped."""


class NotMirrorable(Exception):
    """The request cannot be sent to modern exactly as legacy received it; the message
    is the skip reason shown in the route's shadow status."""


class ReplayFailed(Exception):
    """The upstream could not be reached or gave no valid answer (the cause is chained)."""


def sendable_target(request: CapturedRequest) -> str:
    """The request target as aiohttp must be given it to put the same bytes on the wire.

    Raises NotMirrorable when no such string exists.
    """
    target = request.target
    if not target.isascii():
        # Captured bytes are latin-1 text; aiohttp encodes UTF-8. Only bytes that are
        # themselves valid UTF-8 survive the round trip unchanged.
        try:
            target = target.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            raise NotMirrorable("request target is not ASCII or UTF-8") from None
    if not _UNSENDABLE.isdisjoint(target):
        raise NotMirrorable("request target has a control character, space or #")
    return target


def _headers(request: CapturedRequest) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict(
        (k, v) for k, v in request.headers if k not in _DROP and k != SHADOW_HEADER
    )
    headers[SHADOW_HEADER] = "1"
    return headers


async def replay(
    session: aiohttp.ClientSession,
    base_url: str,
    request: CapturedRequest,
    *,
    upstream: str,
    timeout: float,
    body_cap: int,
) -> CapturedResponse:
    """Send `request` to `base_url`; raises TimeoutError, BodyTooLarge, NotMirrorable
    or ReplayFailed."""
    url = URL(base_url.rstrip("/") + sendable_target(request), encoded=True)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            async with session.request(
                request.method,
                url,
                headers=_headers(request),
                data=request.body or None,
                allow_redirects=False,
            ) as response:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(_CHUNK):
                    size += len(chunk)
                    if size > body_cap:
                        raise BodyTooLarge(f"{upstream} body over {body_cap} bytes")
                    chunks.append(chunk)
                headers = tuple(
                    (k.decode("latin-1").lower(), v.decode("latin-1"))
                    for k, v in response.raw_headers
                )
    except TimeoutError:
        raise  # an OSError too, but a slow upstream is counted apart from a failed one
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        # ValueError: aiohttp refusing a header value it cannot write (e.g. a newline).
        raise ReplayFailed(f"{upstream}: {type(exc).__name__}: {exc}") from exc
    return CapturedResponse(
        status=response.status,
        headers=headers,
        body=b"".join(chunks),
        elapsed=time.perf_counter() - started,
        upstream=upstream,
    )
