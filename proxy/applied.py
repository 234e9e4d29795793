"""The table a starting worker measures routes.yaml against.

A worker that starts (a deployment, a crash, uvicorn replacing its workers on
SIGHUP) has no table in memory to compare routes.yaml with, so without a record a
backward move that the file watch refused would be applied by the next start. So
every worker records the table it applies in Redis (`<prefix>proxy:routes:applied`,
a hash holding the file's text and revision), and a starting worker
(`proxy.reload.first_table`) checks routes.yaml against that table, or, when Redis
has none, against the route stages in the ratchet's lock (`migration.lock`).

The record is written from the background (the reload path does no I/O beyond
reading the file): the newest table wins, and a write that fails is retried until
Redis answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import redis.exceptions

from proxy.config import STAGES, Position
from proxy.counters import Outage, limit
from proxy.redis_replies import text as text_of

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["KEY", "AppliedTables", "lock_positions"]

log = logging.getLogger("strangler.proxy.reload")

KEY = "proxy:routes:applied"
READ_TIMEOUT = 1.0
"""Seconds a starting worker waits for Redis before it falls back on the lock."""
WRITE_TIMEOUT = 2.0
RETRY_INTERVAL = 1.0


class AppliedTables:
    """The last applied routes.yaml, shared by every worker through Redis.

    Parameters:
        redis: the shared client.
        prefix: the deployment's key prefix.
    """

    def __init__(self, redis: redis.asyncio.Redis, prefix: str) -> None:
        self._redis = redis
        self.key = prefix + KEY
        self._latest: tuple[str, str] | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._outage = Outage(
            "applied routes record", log, meanwhile="it is written once Redis answers again"
        )

    async def last(self) -> tuple[str, str] | None:
        """(text, revision) of the table last applied by any worker, or None.

        None too when Redis does not answer within `READ_TIMEOUT`: the caller then
        falls back on the lock, as on a first start.
        """
        try:
            async with limit(READ_TIMEOUT):
                text, revision = await self._redis.hmget(self.key, ["text", "revision"])
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("cannot read the last applied route table from Redis: %s", exc)
            return None
        if text is None or revision is None:
            return None
        return text_of(text), text_of(revision)

    def remember(self, text: str, revision: str) -> None:
        """Record `text` as the table in force (from the background; the newest wins)."""
        self._latest = (text, revision)
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._write(), name="strangler-applied-routes")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            latest = self._latest
            if latest is None:
                continue
            text, revision = latest
            try:
                async with limit(WRITE_TIMEOUT):
                    await self._redis.hset(self.key, mapping={"text": text, "revision": revision})
            except (redis.exceptions.RedisError, OSError) as exc:
                self._outage.failed(exc)
                await asyncio.sleep(RETRY_INTERVAL)
                self._wake.set()  # try again, with whatever is newest by then
                continue
            self._outage.recovered()


def lock_positions(path: Path | None) -> dict[str, Position] | None:
    """Route id → position (stage, and percent at canary) as recorded in the ratchet's
    lock, or None without a lock.

    Only the `route <id> <methods> <path> <stage> [<percent>]` lines matter here; the
    format is `strangler.ratchet.baseline`'s, read here because the proxy runtime never
    imports the ratchet (CI tooling that brings import-linter) nor anything else of
    `strangler` (an import-linter contract).
    """
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    positions: dict[str, Position] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) in (5, 6) and words[0] == "route" and words[4] in STAGES:
            percent = _percent(words[5]) if len(words) == 6 else None
            positions[words[1]] = Position(words[4], percent)
    return positions


def _percent(word: str) -> float | None:
    try:
        return float(word)
    except ValueError:
        return None


