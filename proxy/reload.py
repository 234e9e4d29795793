"""Hot reload of routes.yaml as a transaction: validate everything, then swap one reference.

Three triggers: a file watch (poll of (mtime, size, inode) every `POLL_INTERVAL`;
a change is read once the signature has held still for one more poll and the
content then stays the same for `SETTLE_DELAY`, so both atomic renames and in-place
edits work and a file being written is not read), SIGHUP, and
`POST /_strangler/api/reload`. An API reload also publishes on Redis so the other
workers reload too; each worker also watches the file itself.

A reload is all or nothing. An invalid file, one that moves a route back without
`rollback`, drops a route without `removed`, empties the table or stops mid-line
(`proxy.config.parse_successor`) keeps the table in force and is recorded (message,
revision of the refused file, time) for `api/status` until a later file is applied.
Requests in flight keep the table they started with, because they hold a reference
to it; open WebSockets are untouched.

The guard outlives the worker: each applied table is recorded in Redis
(`proxy.applied`), and a starting worker (`first_table`) measures routes.yaml
against that record, or against the ratchet's lock when Redis has none. With
`--workers ≥ 2`, uvicorn answers SIGHUP by replacing the workers, so this is what
makes SIGHUP refuse the same files as the file watch on any number of workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from proxy.applied import AppliedTables, lock_positions
from proxy.config import (
    ConfigError,
    LoadedRoutes,
    Position,
    parse_routes,
    parse_successor,
    positions_of,
)
from proxy.loops import Outage
from proxy.routing import RouteTable

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["LoadFailure", "ReloadOutcome", "Reloader", "first_table"]

log = logging.getLogger("strangler.proxy.reload")

POLL_INTERVAL = 0.5
SETTLE_DELAY = 0.5
"""Seconds the watched file's content must stay the same before it is read for good."""
CHANNEL = "proxy:reload"


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """Why the last refused file was refused.

    Parameters:
        problems: one line per problem (`file:line: route 'id': message`).
        revision: first 12 hex digits of the refused file's SHA-256 (None if unreadable).
        at: when it was refused (UTC).
    """

    problems: tuple[str, ...]
    revision: str | None
    at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "message": "\n".join(self.problems),
            "problems": list(self.problems),
            "revision": self.revision,
            "at": _iso(self.at),
        }


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    """The result of one reload attempt: `applied`, `unchanged` or `refused`."""

    result: str
    revision: str | None
    problems: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"result": self.result, "revision": self.revision, "problems": list(self.problems)}


@dataclass(eq=False)
class Reloader:
    """Reloads one routes.yaml into a worker.

    Parameters:
        path: the routes file.
        current: returns the table in force.
        apply: installs a new table (swaps the reference).
        count: called with the outcome's result, for the reload counters.
        store: where applied tables are recorded for starting workers (None: nowhere).
        last_failure: why the last refused file was refused; at first, why routes.yaml
            was refused when this worker started, if it was.
    """

    path: Path
    _: KW_ONLY
    current: Callable[[], RouteTable]
    apply: Callable[[RouteTable], None]
    count: Callable[[str], None]
    store: AppliedTables | None = None
    last_failure: LoadFailure | None = None
    last_outcome: ReloadOutcome | None = field(default=None, init=False)
    _signature: tuple[int, int, int] | None = field(init=False)
    """The file's (mtime, size, inode) when it was last read: the watch compares with it."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._signature = self._stat()

    def reload(self, trigger: str) -> ReloadOutcome:
        """Read, validate and (if it is valid and new) apply the file. Never raises."""
        self._signature = self._stat()
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            return self._refuse([_unreadable(self.path, exc)], None)
        revision = _revision(raw)
        table = self.current()
        if revision == table.loaded.revision:
            self.last_failure = None  # the file is the table in force again
            outcome = ReloadOutcome("unchanged", revision)
            self.last_outcome = outcome
            return outcome
        failure = self.last_failure
        if failure is not None and failure.revision == revision:  # already refused, once
            return ReloadOutcome("refused", revision, failure.problems)
        try:
            text, loaded = _successor(self.path, raw, positions_of(table.config))
        except ConfigError as exc:
            return self._refuse(exc.problems, revision)
        self.apply(RouteTable(loaded))
        self.count("applied")
        log.info("routes reloaded (%s): revision %s", trigger, loaded.revision)
        self.last_failure = None  # superseded: the table in force is newer than that file
        if self.store is not None:
            self.store.remember(text, loaded.revision)
        outcome = ReloadOutcome("applied", loaded.revision)
        self.last_outcome = outcome
        return outcome

    def _refuse(self, problems: list[str], revision: str | None) -> ReloadOutcome:
        self.last_failure = LoadFailure(tuple(problems), revision, datetime.now(UTC))
        self.count("refused")
        log.warning("routes.yaml refused, keeping the table in force:\n%s", "\n".join(problems))
        outcome = ReloadOutcome("refused", revision, tuple(problems))
        self.last_outcome = outcome
        return outcome

    # -- triggers -------------------------------------------------------------------

    def start(self, redis: redis.asyncio.Redis | None, prefix: str) -> None:
        """Watch the file, handle SIGHUP and (with a real Redis) listen for peers."""
        self._tasks.append(asyncio.create_task(self._watch(), name="strangler-routes-watch"))
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: self.reload("SIGHUP")
            )
        if redis is not None:
            self._tasks.append(
                asyncio.create_task(
                    self._listen(redis, prefix + CHANNEL), name="strangler-reload-sub"
                )
            )

    async def stop(self) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def publish(self, redis: redis.asyncio.Redis, prefix: str, revision: str | None) -> None:
        """Tell the other workers to reload (they read the same file)."""
        message = json.dumps({"pid": os.getpid(), "revision": revision})
        await redis.publish(prefix + CHANNEL, message)

    async def _watch(self) -> None:
        pending: tuple[int, int, int] | None = None
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            signature = self._stat()
            if signature is None or signature == self._signature:
                pending = None
                continue
            if signature != pending:  # changed since the last poll: let it settle
                pending = signature
                continue
            pending = None
            if await self._settled():
                self.reload("file change")

    async def _settled(self) -> bool:
        """Whether the file reads the same twice, `SETTLE_DELAY` apart (else: still written)."""
        try:
            first = self.path.read_bytes()
            await asyncio.sleep(SETTLE_DELAY)
            return self.path.read_bytes() == first
        except OSError:
            return True  # reload() reports the unreadable file

    async def _listen(self, redis: redis.asyncio.Redis, channel: str) -> None:
        outage = Outage(
            log, "reload subscription lost (the file watch still works): %s",
            "reload subscription restored",
        )  # fmt: skip
        while True:
            pubsub = redis.pubsub()
            try:
                await pubsub.subscribe(channel)
                outage.worked()
                async for message in pubsub.listen():
                    if message.get("type") == "message" and not _from_me(message["data"]):
                        self.reload("peer request")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted: resubscribe after a pause
                outage.failed(exc)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)


async def first_table(
    path: Path, *, store: AppliedTables | None, lock: Path | None
) -> tuple[LoadedRoutes, LoadFailure | None]:
    """The table a starting worker serves, and why routes.yaml was refused if it was.

    routes.yaml is measured against the table last applied by any worker (kept in
    Redis by `store`), else against the route stages of the ratchet's `lock`, else
    against nothing. A refused file leaves the last applied table in force, as a
    reload would; with no such table there is nothing safe to serve, and the start
    fails with the problems (`ConfigError`).
    """
    last = await store.last() if store is not None else None
    baseline = None
    if last is not None:
        try:
            baseline = parse_routes(last[0], source=str(path))
        except ConfigError as exc:  # recorded by another version of the proxy
            log.warning("ignoring the last applied route table in Redis: %s", exc)
    before = positions_of(baseline.config) if baseline is not None else lock_positions(lock)
    revision = None
    try:
        raw = path.read_bytes()
        revision = _revision(raw)
        text, loaded = _successor(path, raw, before)
    except OSError as exc:
        problems = [_unreadable(path, exc)]
    except ConfigError as exc:
        problems = exc.problems
    else:
        if store is not None:
            store.remember(text, loaded.revision)
        return loaded, None
    if baseline is None:
        raise ConfigError(problems)
    log.warning(
        "routes.yaml refused at start; serving the table last applied (revision %s):\n%s",
        baseline.revision,
        "\n".join(problems),
    )
    return baseline, LoadFailure(tuple(problems), revision, datetime.now(UTC))


def _successor(
    path: Path, raw: bytes, before: dict[str, Position] | None
) -> tuple[str, LoadedRoutes]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text: {exc}"]) from None
    return text, parse_successor(text, source=str(path), before=before)


def _revision(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:12]


def _unreadable(path: Path, exc: OSError) -> str:
    return f"{path}: cannot read: {exc.strerror or exc}"


def _from_me(data: bytes | str) -> bool:
    try:
        return bool(json.loads(data).get("pid") == os.getpid())
    except (ValueError, TypeError, AttributeError):
        return False


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
