"""Background rebuilds: a small bounded pool, and one rebuild per view across processes.

Modern's endpoints are sync handlers in the server's thread pool; a rebuild that a
request only triggers (stale-while-revalidate, `modern.repositories.views`) must not
run on that request's thread, or its user waits for it after all. It runs here, on a
pool of its own (`WORKERS` threads, at most `MAX_PENDING` jobs queued or running; past
that a rebuild is simply not started: the stale copy keeps being served until its
bound, then the next read rebuilds in line).

Before a job is queued, each thing it rebuilds is locked in Redis (SET NX with a life
of `hold` seconds, the stale window: a rebuild slower than that is of no use any more),
so that of all the workers and instances that saw a view lapse, one rebuilds it. The
job gets the positions it holds the locks of; the others are being rebuilt elsewhere.
A job that succeeds releases its locks; one that fails keeps them for `retry` seconds,
so a failing database sees one attempt per view per `retry`, not one per request.

`close()` (the app's lifespan shutdown) cancels what is queued and waits a bounded
time for what runs: a rebuild cut short leaves its stale copy, which ends at its bound.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait

from modern.repositories.cache import Cache

log = logging.getLogger("modern.refresh")

WORKERS = 2
MAX_PENDING = 32
RETRY_SECONDS = 1.0
CLOSE_TIMEOUT_SECONDS = 5.0

Job = Callable[[list[int]], None]


class Refresher:
    """Parameters: cache — where the locks live; hold — seconds a lock lives (a
    rebuild's time budget); retry — seconds a failed rebuild's locks are kept;
    workers, max_pending — the pool's size and its bound on queued plus running jobs.

    Counters `started`, `failed` and `skipped` (pool full) are kept for tests and logs.
    """

    def __init__(
        self,
        cache: Cache,
        *,
        hold: float,
        retry: float = RETRY_SECONDS,
        workers: int = WORKERS,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._cache = cache
        self._hold = hold
        self._retry = retry
        self._max_pending = max_pending
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modern-refresh")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.started = self.failed = self.skipped = 0

    @property
    def pending(self) -> int:
        """Rebuilds queued or running now."""
        with self._lock:
            return len(self._pending)

    def submit(self, names: Sequence[str], job: Job, *, hold: float | None = None) -> bool:
        """Run `job` in the background with the positions of `names` whose locks this
        call took (for `hold` seconds, the pool's own by default); False (and nothing
        runs) when none was free or the pool is full."""
        with self._lock:
            if self._closed or len(self._pending) >= self._max_pending:
                self.skipped += not self._closed
                return False
        token = secrets.token_hex(8)
        taken = self._cache.take_locks(names, token, hold or self._hold)
        held = [position for position, ok in enumerate(taken) if ok]
        if not held:
            return False
        mine = [names[p] for p in held]
        with self._lock:
            if self._closed:
                self._cache.release_locks(mine, token)
                return False
            future = self._pool.submit(self._run, job, held, mine, token)
            self._pending.add(future)
            self.started += 1
        future.add_done_callback(self._done)
        return True

    def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Cancel queued rebuilds, wait up to `timeout` for running ones, stop the pool."""
        with self._lock:
            self._closed = True
            pending = list(self._pending)
        self._pool.shutdown(wait=False, cancel_futures=True)
        # A cancelled future never counts as done for `wait`: only the running ones.
        wait([future for future in pending if not future.cancelled()], timeout=timeout)

    def _run(self, job: Job, held: list[int], names: list[str], token: str) -> None:
        try:
            job(held)
        except Exception:  # a rebuild's failure must not reach anyone: the copy stays
            self.failed += 1
            log.exception("background rebuild of %s failed", names[:3])
            self._cache.release_locks(names, token, after=self._retry)
        else:
            self._cache.release_locks(names, token)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)
