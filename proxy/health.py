"""The HTTP health probe of an upstream: is its HTTP server answering, not just listening?

A TCP connect is not enough: a frozen process (SIGSTOP, a deadlock, a full accept
backlog served by nobody) still completes the kernel's handshake, so a connect-only
check called a hung modern "ok". The probe sends `GET <health path>` on a fresh
connection of its own (never a pooled one: the pool of a hung upstream may be full)
and reads only the status line. Any status below 500 means alive: a 404 from an app
without a health endpoint still proves its server is taking requests; a 5xx, a hang
past the timeout or no connection means down.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["ProbeResult", "http_probe"]

_MAX_STATUS_LINE = 1024
_CLOSE_WAIT = 0.1


@dataclass(frozen=True)
class ProbeResult:
    """One probe's verdict; `detail` names the address and cause (admin eyes only)."""

    ok: bool
    detail: str
    status: int | None = None


async def http_probe(url: str, path: str, timeout: float) -> ProbeResult:
    """GET `path` on the upstream at `url`; the whole exchange is bounded by `timeout`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = f"{host}:{port}"
    context = ssl.create_default_context() if parts.scheme == "https" else None
    authority = host if ":" not in host else f"[{host}]"
    request = (
        f"GET {parts.path.rstrip('/')}{path} HTTP/1.1\r\nHost: {authority}:{port}\r\n"
        "User-Agent: strangler-health\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            try:
                reader, writer = await asyncio.open_connection(host, port, ssl=context)
            except OSError as exc:
                return ProbeResult(False, f"{address} unreachable: {exc or type(exc).__name__}")
            writer.write(request)
            line = await reader.readline()
    except TimeoutError:
        return ProbeResult(False, f"{address} gave no HTTP answer within {timeout:g} s (hung?)")
    except (OSError, ValueError) as exc:  # reset mid-exchange, over-long line
        return ProbeResult(False, f"{address} broke off the health probe: {exc!r}")
    finally:
        if writer is not None:
            writer.close()
            # A peer that stopped reading must not hold the probe past its bound.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), _CLOSE_WAIT)
    status = _status(line)
    if status is None:
        shown = line[:_MAX_STATUS_LINE].decode("latin-1", "replace").strip() or "nothing"
        return ProbeResult(False, f"{address} answered {shown!r}, not HTTP")
    if status >= 500:
        return ProbeResult(False, f"{address} answered {path} with {status}", status)
    return ProbeResult(True, "ok", status)


def _status(line: bytes) -> int | None:
    """The status code of an HTTP/1.x status line, None if it is not one."""
    version, _, rest = line.partition(b" ")
    code = rest[:3]
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        return None
    return int(code)
