"""Waits with a deadline on one clock per loop behave like asyncio.timeout_at."""

from __future__ import annotations

import asyncio

import pytest

from proxy.edge.deadlines import wait_before


def test_a_wait_past_its_deadline_raises_timeout_and_leaves_the_task_usable() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(TimeoutError):
            await wait_before(began + 0.05, asyncio.sleep(5))
        assert 0.04 < loop.time() - began < 1.0
        await asyncio.sleep(0.01)  # not still cancelled
        assert await wait_before(loop.time() + 1, asyncio.sleep(0, "done")) == "done"

    asyncio.run(scenario())


def test_an_earlier_deadline_added_later_still_rings_on_time() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        late = asyncio.create_task(wait_before(began + 5, asyncio.sleep(10)))
        await asyncio.sleep(0)
        with pytest.raises(TimeoutError):
            await wait_before(began + 0.05, asyncio.sleep(10))
        assert loop.time() - began < 1.0
        assert not late.done()  # its own deadline is later
        late.cancel()
        with pytest.raises(asyncio.CancelledError):
            await late

    asyncio.run(scenario())


def test_many_waits_each_end_at_their_own_deadline() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()

        async def one(delay: float) -> float:
            try:
                await wait_before(began + delay, asyncio.sleep(10))
            except TimeoutError:
                return loop.time() - began
            return -1.0

        ended = await asyncio.gather(*(one(0.02 * n) for n in range(1, 11)))
        for n, at in enumerate(ended, start=1):
            assert 0.02 * n - 0.005 <= at < 0.02 * n + 0.5

    asyncio.run(scenario())


def test_a_cancel_from_elsewhere_is_not_a_timeout() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(wait_before(loop.time() + 5, asyncio.sleep(10)))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
