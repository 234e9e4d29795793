"""Waits with a deadline, on one clock per event loop instead of one timer per wait.

`asyncio.timeout_at` schedules and cancels a timer for every wait: about 5 µs on
uvloop, paid on every request body the proxy reads, although nearly every body has
already arrived when it is asked for. Here each wait only records its deadline;
the loop's clock rings at the earliest deadline it knows of and cancels the waits
that are past theirs (the way asyncio's own timeout does: `cancel()`, then
`uncancel()` in the waiter). A new wait that ends later than the next ring costs
no timer at all, which is the steady state: every body waits the same timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["wait_before"]

T = TypeVar("T")


class _Clock:
    """The waits of one event loop (task → deadline), and the one timer that rings
    for the earliest. A task is in `expired` once the clock has cancelled it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waits: dict[asyncio.Task[object], float] = {}
        self.expired: set[asyncio.Task[object]] = set()
        self.timer: asyncio.TimerHandle | None = None
        self.rings_at = 0.0

    def arm(self, when: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.rings_at = when
        self.timer = self.loop.call_at(when, self._ring)

    def _ring(self) -> None:
        self.timer = None
        now = self.loop.time()
        earliest = None
        for task, deadline in self.waits.items():
            if deadline <= now:
                if task not in self.expired:
                    self.expired.add(task)
                    task.cancel()
            elif earliest is None or deadline < earliest:
                earliest = deadline
        if earliest is not None:
            self.arm(earliest)


_clock: _Clock | None = None


async def wait_before(deadline: float, awaitable: Awaitable[T]) -> T:
    """`await awaitable`, raising TimeoutError once the loop time passes `deadline`.

    The clock rings at the deadline itself (loop timers are exact enough), so a
    wait ends no later than an `asyncio.timeout_at` would. One wait per task at a
    time (the task is the key).
    """
    global _clock
    clock = _clock
    if clock is None or clock.loop is not asyncio.get_running_loop():
        clock = _clock = _Clock(asyncio.get_running_loop())
    task = asyncio.current_task()
    assert task is not None
    clock.waits[task] = deadline
    if clock.timer is None or deadline < clock.rings_at:
        clock.arm(deadline)
    try:
        return await awaitable
    except asyncio.CancelledError:
        if task in clock.expired and task.uncancel() == 0:
            raise TimeoutError from None
        raise
    finally:
        del clock.waits[task]
        clock.expired.discard(task)
