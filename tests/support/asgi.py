"""What the suite's small upstream apps share: plain ASGI types and the lifespan handshake.

These apps stand in for someone else's service, so they owe the proxy nothing, not
even its type aliases; uvicorn still starts and stops them through the lifespan
protocol, which they answer without doing anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


async def answer_lifespan(receive: Receive, send: Send) -> None:
    """Complete each lifespan message until shutdown: there is nothing to start or stop."""
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return
