"""Background rounds that stop when told: the one loop behind every periodic task.

Stats flushes, guardrail rounds, history checks and the instance registry's beats
each run a round every few seconds. A loop is told to end (an event) rather than
cancelled first: a cancellation that lands inside a Redis call bounded by
`proxy.counters.limit` comes out as that call's timeout, which a round takes for an
outage and survives, so a cancelled loop could go on and a shutdown wait forever.
A loop that does not end within its grace is cancelled after all.

A round that fails while Redis is away fails again a second later: `Outage` tells the
log once when the trouble starts and once when it ends, not every round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field

__all__ = ["Outage", "Periodic"]

STOP_GRACE_SECONDS = 2.0


@dataclass(eq=False)
class Periodic:
    """Run `round()` every `interval` seconds in a task of its own.

    Parameters:
        name: the task's name (it shows in task dumps).
        interval: seconds between the end of one round and the start of the next.
        round: the work; it handles its own errors (an escaping one ends the loop).
        wait_first: wait one interval before the first round.
    """

    name: str
    interval: float
    round: Callable[[], Awaitable[object]]
    _: KW_ONLY
    wait_first: bool = False
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

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
        if self.wait_first and await self._wait():
            return
        while not self._stopping.is_set():
            await self.round()
            if await self._wait():
                return

    async def _wait(self) -> bool:
        """Sleep one interval; True when told to stop meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.interval)
        return self._stopping.is_set()


@dataclass(slots=True)
class Outage:
    """A background task's trouble, on the log once as it starts and once as it ends.

    Parameters:
        log: where to tell it.
        lost: the warning as the task starts failing, with one placeholder for the error.
        back: the warning as it works again.
    """

    log: logging.Logger
    lost: str
    back: str
    failing: bool = False

    def failed(self, exc: BaseException) -> None:
        if not self.failing:
            self.log.warning(self.lost, exc)
        self.failing = True

    def worked(self) -> None:
        if self.failing:
            self.log.warning(self.back)
        self.failing = False
