"""ASGI type aliases shared by the data path and the admin app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send", "Target"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

Target = Literal["legacy", "modern"]
"""Which primary upstream serves a request."""
