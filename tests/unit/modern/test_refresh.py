"""The background rebuild pool (modern.repositories.refresh) over an in-process Redis:
one job per lock, a bounded queue, a pause after a failure, a bounded shutdown."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import fakeredis
import pytest

from modern.repositories.cache import Cache
from modern.repositories.refresh import Refresher

WAIT = 5.0


@pytest.fixture
def cache() -> Cache:
    return Cache(fakeredis.FakeRedis(), "t:")


@pytest.fixture
def pool(cache: Cache) -> Iterator[Refresher]:
    refresher = Refresher(cache, hold=30, retry=0.3, workers=1, max_pending=2)
    yield refresher
    refresher.close(timeout=WAIT)


def _settle(pool: Refresher) -> None:
    deadline = time.monotonic() + WAIT
    while pool.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.pending == 0


def test_a_job_gets_the_positions_whose_locks_it_took(pool: Refresher, cache: Cache) -> None:
    gate, seen = threading.Event(), []
    assert pool.submit(["a", "b"], lambda held: (seen.append(held), gate.wait(WAIT)))
    # While it runs, "b" is taken: a second job gets only "c".
    assert pool.submit(["b", "c"], seen.append)
    assert not pool.submit(["a", "b"], seen.append)  # nothing free: nothing runs
    gate.set()
    _settle(pool)
    assert seen == [[0, 1], [1]]
    assert pool.submit(["a"], seen.append)  # done jobs released their locks
    _settle(pool)
    assert seen[-1] == [0] and pool.started == 3


def test_a_failed_job_keeps_its_locks_for_the_retry_pause(pool: Refresher) -> None:
    def fail(held: list[int]) -> None:
        raise RuntimeError("database down")

    assert pool.submit(["a"], fail)
    _settle(pool)
    assert pool.failed == 1
    assert not pool.submit(["a"], fail)  # within the pause: no second attempt
    time.sleep(0.4)
    assert pool.submit(["a"], fail)
    _settle(pool)
    assert pool.failed == 2


def test_the_queue_is_bounded_and_close_stops_the_pool(pool: Refresher) -> None:
    gate, ran = threading.Event(), []
    assert pool.submit(["a"], lambda held: gate.wait(WAIT))
    assert pool.submit(["b"], lambda held: ran.append("b"))  # queued behind "a"
    assert not pool.submit(["c"], lambda held: ran.append("c"))  # full: not started
    assert pool.skipped == 1
    closer = threading.Thread(target=pool.close, kwargs={"timeout": 6 * WAIT})
    closer.start()
    time.sleep(0.1)
    gate.set()  # the running job finishes; the queued one was cancelled
    closer.join(WAIT)  # returns once the running job is done, not at its timeout
    assert not closer.is_alive() and ran == []
    assert not pool.submit(["d"], lambda held: ran.append("d"))  # closed: nothing runs
