"""Replay one captured request to an upstream and capture its answer whole.

The mirrored request is the user's (method, raw path and query, end-to-end headers,
body) plus `X-Strangler-Shadow: 1`, so modern can tell a mirror from a user and skip
side effects such as analytics. Redirects are never followed (the answer compared is
the redirect itself), and the body is read up to a cap so a runaway answer cannot
eat the worker's memory.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from proxy.exchange import CapturedRequest, CapturedResponse

__all__ = ["SHADOW_HEADER", "BodyTooLarge", "replay"]

SHADOW_HEADER = "x-strangler-shadow"
_CHUNK = 64 * 1024
# Set by the client library from the URL and body; a user's values would be wrong here.
_DROP = frozenset({"host", "content-length", "transfer-encoding", "connection", "expect"})


class BodyTooLarge(Exception):
    """The upstream's answer was larger than the capture cap; the comparison is skipped."""


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
    """Send `request` to `base_url`; raises TimeoutError, BodyTooLarge or aiohttp errors."""
    target = base_url.rstrip("/") + request.path
    if request.query_string:
        target += "?" + request.query_string
    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        async with session.request(
            request.method,
            URL(target, encoded=True),
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
                (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.raw_headers
            )
            return CapturedResponse(
                status=response.status,
                headers=headers,
                body=b"".join(chunks),
                elapsed=time.perf_counter() - started,
                upstream=upstream,
            )
