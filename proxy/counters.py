"""Counter increments delivered to Redis exactly once, whatever Redis does.

The counting modules, `proxy.stats` (traffic), `proxy.shadow.outcomes`
(comparisons) and `proxy.guardrail.window` (canary outcomes), count in process on the
data path and send the sums from the background. Sending is where counts went wrong:
when Redis stalls for longer than the client waits, the increments can be applied
*and* reported as failed, and sending them again counts them twice. So a flush here is idempotent:

- each owner gets a writer id of its own and numbers its batches 1, 2, 3, …;
- a batch is applied in one MULTI/EXEC transaction that also records its number
  under the writer's marker key, which the transaction WATCHes: Redis applies the
  increments and the record together or not at all, and an earlier attempt of the
  same batch that Redis runs late aborts instead of counting again;
- a batch whose fate is unknown (timeout, connection lost) is kept whole, with its
  number, and sent again until Redis says it has it (marker at or past its
  number). New counts wait in the owner's live buffer meanwhile, so memory stays
  bounded by the number of distinct counters, not by the length of an outage.

(WATCH/MULTI rather than a Lua script: the in-process stand-in for Redis used when
REDIS_URL is unset has no Lua interpreter, and the code must be the same for both.)

Time: every exchange with Redis is bounded (`limit`), by `FLUSH_TIMEOUT` in the
background and by the caller's `budget()` when a status answer waits for it, redis-py's
cleanup after a cancel included. Logs: one warning when an outage starts and one line
when Redis answers again, not one per flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis.exceptions

if TYPE_CHECKING:
    import redis.asyncio
    from redis.asyncio.client import Pipeline

__all__ = [
    "FLUSH_TIMEOUT",
    "MARKER_TTL",
    "RECANCEL",
    "Batch",
    "CounterWriter",
    "Outage",
    "Reads",
    "budget",
    "limit",
]

FLUSH_TIMEOUT = 2.0
"""Seconds one background flush may take before its batch is treated as in doubt."""
MARKER_TTL = 3600
"""Seconds a writer's last batch number is kept after its last delivery. A batch is in
doubt only while Redis does not answer; once it answers again the next retry (within
one flush interval) settles it, so an hour is ample."""
_WATCH_RETRIES = 3

Reads = Callable[["Pipeline"], None]
"""Queues read commands to run in the same transaction, after the batch."""

_deadline: ContextVar[float | None] = ContextVar("strangler_redis_deadline", default=None)


@contextlib.contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Bound every Redis exchange made inside the block (in this task) to `seconds` in all.

    A status answer uses it so that a stalled Redis costs it at most that long; the
    counters then answer from what the worker holds (see `Stats.snapshot`).
    """
    deadline = asyncio.get_running_loop().time() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


@contextlib.asynccontextmanager
async def limit(default: float) -> AsyncIterator[None]:
    """Bound one Redis exchange: by the caller's `budget()` if any, else by `default`.

    Running out of time raises redis's own TimeoutError, so callers and the admin
    API's error handlers treat it like any other Redis failure. Once the budget is
    spent no exchange starts at all; one already under way is cancelled at the
    deadline, and again every `RECANCEL` seconds while it still runs (`_Cutoff`).
    """
    loop = asyncio.get_running_loop()
    deadline = _deadline.get()
    if deadline is None:
        deadline = loop.time() + default
    if deadline <= loop.time():
        raise redis.exceptions.TimeoutError(_OUT_OF_TIME)
    cutoff = _Cutoff(deadline)
    try:
        yield
    except asyncio.CancelledError as exc:
        if cutoff.stop():
            raise redis.exceptions.TimeoutError(_OUT_OF_TIME) from exc
        raise
    finally:
        cutoff.stop()


_OUT_OF_TIME = "Redis did not answer in time"
RECANCEL = 0.05
"""Seconds between the cancels of an exchange still running after its deadline."""


class _Cutoff:
    """Cancels the current task at `deadline`, then every `RECANCEL` until `stop()`.

    One cancel is not enough: on Python 3.11, `asyncio.wait_for` (through which
    redis-py writes every command when a socket timeout is set) drops a cancel that
    lands as the write completes, and the reply is then awaited for a whole socket
    timeout, far past the budget. `asyncio.timeout` cancels once; this keeps
    cancelling, so a lost cancel costs `RECANCEL`, not the socket timeout. The
    same holds for redis-py's cleanup after a cancel (a pipeline that was WATCHing
    sends UNWATCH and waits for the reply): the next cancel cuts it short, and
    redis-py then drops the connection rather than reuse it.
    """

    def __init__(self, deadline: float) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("limit() must run inside a task")
        self._task = task
        self._others = task.cancelling()  # cancels requested before, by someone else
        self._fired = 0
        self._handle = asyncio.get_running_loop().call_at(deadline, self._fire)

    def _fire(self) -> None:
        self._fired += 1
        self._task.cancel()
        self._handle = asyncio.get_running_loop().call_later(RECANCEL, self._fire)

    def stop(self) -> bool:
        """Stop cancelling and take back this cutoff's cancels; True when it had fired
        and nobody else asked for a cancel meanwhile (the cancel means: out of time)."""
        self._handle.cancel()
        fired, self._fired = self._fired, 0
        for _ in range(fired):
            self._task.uncancel()
        return fired > 0 and self._task.cancelling() <= self._others


@dataclass(slots=True)
class Batch:
    """The Redis writes of one flush. The method names and arguments are the pipeline's,
    so code that wrote to a pipeline writes to a batch unchanged."""

    increments: dict[str, dict[str, int]] = field(default_factory=dict)
    expiries: dict[str, int] = field(default_factory=dict)
    pushes: dict[str, tuple[list[str], int]] = field(default_factory=dict)

    def hincrby(self, key: str, name: str, amount: int) -> None:
        fields = self.increments.setdefault(key, {})
        fields[name] = fields.get(name, 0) + amount

    def expire(self, key: str, seconds: int) -> None:
        self.expiries[key] = seconds

    def push(self, key: str, values: list[str], keep: int) -> None:
        """LPUSH the values, then keep only the newest `keep` of the list."""
        known, _ = self.pushes.get(key, ([], keep))
        self.pushes[key] = (known + values, keep)

    def empty(self) -> bool:
        return not (self.increments or self.pushes)

    def queue(self, pipe: Pipeline) -> None:
        for key, fields in self.increments.items():
            for name, amount in fields.items():
                if amount:
                    pipe.hincrby(key, name, amount)
        for key, (values, keep) in self.pushes.items():
            pipe.lpush(key, *values)
            pipe.ltrim(key, 0, keep - 1)
        for key, seconds in self.expiries.items():
            pipe.expire(key, seconds)


class CounterWriter:
    """Delivers one owner's batches to Redis, each exactly once.

    Parameters:
        redis: the asyncio client.
        prefix: the deployment's key prefix; the marker is `<prefix>counters:<name>:<id>`.
        name: the owner, in the marker key and in log lines (`stats`, `shadow outcomes`).
        log: where the outage warning and the recovery line go (`Outage`).
    """

    def __init__(
        self, redis: redis.asyncio.Redis, prefix: str, name: str, *, log: logging.Logger
    ) -> None:
        self.redis = redis
        self.name = name
        self.marker = f"{prefix}counters:{name.replace(' ', '-')}:{uuid.uuid4().hex}"
        self.outage = Outage(
            name,
            log,
            meanwhile="counting goes on in this worker; the counts are sent, once each, "
            "when it answers again",
        )
        self._number = 0
        self._in_doubt: Batch | None = None
        self._lock = asyncio.Lock()

    @property
    def in_doubt(self) -> Batch | None:
        """The batch sent (or being sent) whose delivery Redis has not confirmed yet.

        Its counts are in neither the owner's live buffer nor, as far as this worker
        knows, Redis: the owner adds them to any figure it shows from memory.
        """
        return self._in_doubt

    async def flush(
        self, take: Callable[[], Batch | None], reads: Reads | None = None
    ) -> list[Any]:
        """Send the batch in doubt, if any, else `take()`'s; return the replies of `reads`.

        `take` is called only when no batch is in doubt, and hands over the owner's
        live counts. Raises the Redis error (TimeoutError when out of time) when the
        outcome is unknown: the batch is kept and sent again by the next call.
        """
        try:
            async with limit(FLUSH_TIMEOUT), self._lock:
                if self._in_doubt is None:
                    batch = take()
                    if batch is not None and not batch.empty():
                        self._number += 1
                        self._in_doubt = batch
                replies = await self._send(self._in_doubt, reads)
                self._in_doubt = None
        except (redis.exceptions.RedisError, OSError) as exc:  # (OSError: from the socket)
            self.outage.failed(exc)
            raise
        self.outage.recovered()
        return replies

    def failed(self, exc: BaseException) -> None:
        """Record a failed read made by the owner (same outage, same single warning)."""
        self.outage.failed(exc)

    async def _send(self, batch: Batch | None, reads: Reads | None) -> list[Any]:
        for _ in range(_WATCH_RETRIES):
            async with self.redis.pipeline(transaction=True) as pipe:
                if batch is not None:
                    await pipe.watch(self.marker)
                    done = await pipe.get(self.marker)
                    if done is not None and int(done) >= self._number:
                        batch = None  # an earlier attempt got through: do not count it again
                    pipe.multi()
                if batch is not None:
                    batch.queue(pipe)
                    pipe.set(self.marker, self._number, ex=MARKER_TTL)
                first_read = len(pipe.command_stack)
                if reads is not None:
                    reads(pipe)
                if not pipe.command_stack:
                    return []
                try:
                    replies = await pipe.execute()
                except redis.exceptions.WatchError:
                    continue  # a late earlier attempt changed the marker: look again
                return list(replies[first_read:])
        raise redis.exceptions.WatchError(f"{self.marker}: the marker kept changing")


class Outage:
    """One warning when Redis stops answering, one line when it answers again.

    A background loop fails every flush interval during an outage; a line per
    failure would bury everything else in the log.

    Parameters:
        name: who is talking (`stats`, `shadow outcomes`).
        log: where the two lines go.
        meanwhile: what happens to the data during the outage, for the warning.
    """

    def __init__(self, name: str, log: logging.Logger, *, meanwhile: str) -> None:
        self.name = name
        self._log = log
        self._meanwhile = meanwhile
        self._since: float | None = None

    @property
    def available(self) -> bool:
        """False from a failed exchange until the next one that succeeds."""
        return self._since is None

    def failed(self, exc: BaseException) -> None:
        if self._since is None:
            self._since = time.monotonic()
            self._log.warning(
                "%s: Redis did not answer (%s); %s", self.name, _describe(exc), self._meanwhile
            )

    def recovered(self) -> None:
        if self._since is not None:
            self._log.warning(
                "%s: Redis answers again after %.1f s", self.name, time.monotonic() - self._since
            )
            self._since = None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
