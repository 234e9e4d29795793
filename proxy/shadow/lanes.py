"""Per-route lanes: a bounded queue and a resizable concurrency limit.

Each shadowed route gets its own queue and limit, so a slow modern endpoint fills
only its own lane (and drops its own excess) instead of starving every other route's
comparisons. The limit is resizable because concurrency is a runtime control.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from proxy.config import Route
from proxy.exchange import CapturedRequest, CapturedResponse

__all__ = ["Item", "Lane", "Limiter"]


@dataclass(frozen=True, slots=True)
class Item:
    """One exchange waiting for its replay, with the route as it was when captured."""

    route: Route
    request: CapturedRequest
    legacy: CapturedResponse


class Limiter:
    """A counting limit that can change while held; one waiter (the lane's dispatcher)."""

    def __init__(self) -> None:
        self.active = 0
        self._freed = asyncio.Event()

    async def acquire(self, limit: int) -> None:
        while self.active >= limit:
            self._freed.clear()
            await self._freed.wait()
        self.active += 1

    def release(self) -> None:
        self.active -= 1
        self._freed.set()


class Lane:
    """A route's queue and limiter; retired (and drained) when its queue size changes."""

    def __init__(self, queue_size: int) -> None:
        self.queue: asyncio.Queue[Item | None] = asyncio.Queue(maxsize=queue_size)
        self.limiter = Limiter()
        self.retired = False
        self.task: asyncio.Task[None] | None = None

    def retire(self) -> None:
        self.retired = True
        # When full, the dispatcher sees `retired` after the items it is working through.
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)
