"""The edge's limits: how much of a request the proxy reads, and how long it waits.

One frozen object, read from the environment once per worker. The HTTP protocol
(`protocol.EdgeProtocol`) enforces the head limits, the header timeout and the
per-client connection cap before the app sees a request; the data path
(`proxy.bodies`) enforces the body timeout, the minimum rate and the buffering
threshold. Defaults sit in the range nginx and Envoy ship with (Envoy: 60 KiB of
headers, 100 fields; nginx: 8 KiB lines, 60 s client timeouts, which we shorten:
a proxy in front of an API has no business waiting a minute for a header).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache

__all__ = ["ENV_VARS", "EdgeLimits", "current_limits"]

ENV_VARS: dict[str, str] = {
    "max_request_line": "STRANGLER_MAX_REQUEST_LINE",
    "max_header_bytes": "STRANGLER_MAX_HEADER_BYTES",
    "max_head_bytes": "STRANGLER_MAX_HEAD_BYTES",
    "max_headers": "STRANGLER_MAX_HEADERS",
    "header_timeout": "STRANGLER_HEADER_TIMEOUT",
    "body_timeout": "STRANGLER_BODY_TIMEOUT",
    "body_min_rate": "STRANGLER_BODY_MIN_RATE",
    "body_buffer_bytes": "STRANGLER_BODY_BUFFER_BYTES",
    "max_connections_per_client": "STRANGLER_MAX_CONNECTIONS_PER_CLIENT",
}
"""Field → environment variable; the README's table lists the same names."""

# Fields where 0 means "off" rather than "refuse everything".
_ZERO_IS_OFF = frozenset({"body_min_rate", "max_connections_per_client"})


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeLimits:
    """Bounds on what one client may make the proxy hold.

    Parameters:
        max_request_line: bytes of the request target (path and query); over it: 414.
        max_header_bytes: bytes of one header field (name and value); over it: 431.
        max_head_bytes: bytes of the whole head (request line and fields); over it: 431.
        max_headers: header fields in one request; over it: 431.
        header_timeout: seconds from a connection's (or a request's) first byte to
            the end of its head; then 408 and the connection is closed. A
            connection that sent nothing at all is closed without an answer.
        body_timeout: seconds the proxy waits for the next piece of a request body;
            then 408. Also the grace period of `body_min_rate`.
        body_min_rate: bytes per second a body must average once `body_timeout`
            has passed (0: no minimum); below it: 408.
        body_buffer_bytes: bodies up to this size are read whole before an
            upstream connection is taken, so a slow client never holds one;
            larger bodies are streamed.
        max_connections_per_client: open connections one client address may hold
            in one worker (0: no limit); the next is answered 429 and closed.
    """

    max_request_line: int = 8 * 1024
    max_header_bytes: int = 16 * 1024
    max_head_bytes: int = 64 * 1024
    max_headers: int = 100
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    body_min_rate: int = 1024
    body_buffer_bytes: int = 1024 * 1024
    max_connections_per_client: int = 0

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            may_be_off = spec.name in _ZERO_IS_OFF
            if not math.isfinite(value) or value < 0 or (value == 0 and not may_be_off):
                least = "0 or more" if may_be_off else "more than 0"
                raise ValueError(f"{ENV_VARS[spec.name]} must be {least}, not {value!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EdgeLimits:
        """The limits with each `STRANGLER_*` variable that is set; ValueError names a bad one."""
        env = os.environ if environ is None else environ
        values: dict[str, int | float] = {}
        for spec in fields(cls):
            text = env.get(ENV_VARS[spec.name], "").strip()
            if not text:
                continue
            kind = float if spec.type in ("float", float) else int
            try:
                values[spec.name] = kind(text)
            except ValueError:
                noun = "a number" if kind is float else "a whole number"
                raise ValueError(f"{ENV_VARS[spec.name]} must be {noun}, not {text!r}") from None
        return cls(**values)  # type: ignore[arg-type]  # each value was parsed to its field's type above


@cache
def current_limits() -> EdgeLimits:
    """This process's limits, read from the environment on first use.

    The protocol is built by uvicorn before (and outside) the app's lifespan, so it
    reads the environment itself; the app reads the same variables through
    `Settings`, so both agree.
    """
    return EdgeLimits.from_env()
