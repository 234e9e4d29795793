"""How an upstream exchange can fail (the forwarder retries only the first two)."""

from __future__ import annotations


class UpstreamError(Exception):
    """The upstream exchange failed; subclasses say how."""


class ConnectFailed(UpstreamError):
    """No connection could be opened: nothing was sent."""


class Disconnected(UpstreamError):
    """The connection closed before the response (or its body) was complete."""


class BadResponse(UpstreamError):
    """The upstream's bytes are not a valid HTTP/1.1 response."""
