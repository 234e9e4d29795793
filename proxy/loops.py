"""Background rounds that stop when told: the one loop behind every periodic task.

Stats flushes, guardrail rounds, history checks and the instance registry's beats
each run a round every few seconds. A loop is told to end (an event) rather than
cancelled first: a cancellation that lands inside a Redis call bounded by
`proxy.counters.limit` comes out as that call's timeout, which a round takes for an
outage and survives, so a cancelled loop could go on and a shutdown wait forever.
A loop that does not end within its grace is cancelled after all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

__all__ = ["Periodic"]

STOP_GRACE_SECONDS = 2.0


class Periodic:
    """Run `round()` every `interval` seconds in a task of its own.

    Parameters:
        name: the task's name (it shows in task dumps).
        interval: seconds between the end of one round and the start of the next.
        round: the work; it handles its own errors (an escaping one ends the loop).
        wait_first: wait one interval before the first round.
    """

    def __init__(
        self,
        name: str,
        interval: float,
        round: Callable[[], Awaitable[object]],
        *,
        wait_first: bool = False,
    ) -> None:
        self.name = name
        self.interval = interval
        self._round = round
        self._wait_first = wait_first
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Tell the loop to end, wait up to `grace` for a round in progress, then cancel."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def _run(self) -> None:
        if self._wait_first and await self._wait():
            return
        while not self._stopping.is_set():
            await self._round()
            if await self._wait():
                return

    async def _wait(self) -> bool:
        """Sleep one interval; True when told to stop meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.interval)
        return self._stopping.is_set()
