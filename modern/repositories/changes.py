"""Following the database's change stream, so that writes made by legacy drop our caches.

During a migration legacy keeps taking writes (in the worked example every write stays
on legacy while the reads are shadowed), and modern's cached views depend on them: a
post moves a room up the list, a join changes its members, a profile edit shows in
every room the user is in. Without this feed those views stayed stale for the cache
TTL, and a shadow comparison read that as modern being wrong.

`MongoChangeFeed` watches the users, rooms and messages collections from a thread of
its own and turns each write into a `modern.domain.Change` for its listeners (the
repositories' own caches, then the services' view rules). Our own writes come back
too; they have dropped their caches already, and dropping twice is harmless.

Every change is delivered twice, the second time a second later: a reader that
loaded the data just before the write and stored its view just after the first drop
would otherwise leave a stale view for the whole TTL (the race of cache-aside).
Repeats of one change waiting for their second delivery are delivered once.

Rooms get pre-images (`changeStreamPreAndPostImages`, MongoDB 6.0+) so that a leave
names who left. Where the server has no change streams (a standalone mongod) the
feed logs once and stops; caches then fall back to their TTL, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from modern.domain import Change, MessageWritten, RoomWritten, UserWritten
from modern.repositories.documents import refs
from modern.repositories.mongo import Document

log = logging.getLogger("modern.changes")

WATCHED = ("users", "rooms", "messages")
PIPELINE: list[Document] = [
    {
        "$match": {
            "ns.coll": {"$in": list(WATCHED)},
            "operationType": {"$in": ["insert", "update", "replace"]},
        }
    }
]
# The server will never let us watch: not authorised, not a replica set, no such stage.
UNSUPPORTED = {13, 40573, 40324}
# The resume point is gone (fell off the oplog, or invalid): start afresh.
HISTORY_LOST = {136, 280, 286}
POLL_MS = 500
RETRY_SECONDS = 2.0
OPEN_TIMEOUT_SECONDS = 10.0
REDELIVER_AFTER_SECONDS = 1.0
# The most `stop` waits for the thread: a worker's exit is never held up longer. The
# thread is a daemon, so one stuck in a blocking call (server selection) dies with it.
STOP_WAIT_SECONDS = 1.0

Listener = Callable[[Change], None]


def enable_pre_images(database: Database[Document]) -> bool:
    """Ask the server to keep rooms' pre-images (idempotent); False where it cannot."""
    try:
        database.command("collMod", "rooms", changeStreamPreAndPostImages={"enabled": True})
    except PyMongoError as exc:
        log.warning("rooms have no pre-images, a leave made by legacy stays cached: %s", exc)
        return False
    return True


def _ids(doc: Mapping[str, Any] | None) -> frozenset[str]:
    return frozenset(refs((doc or {}).get("member_ids")))


def to_change(event: Mapping[str, Any]) -> Change | None:
    """The domain change a change-stream event describes (None: nothing we cache)."""
    collection = event["ns"]["coll"]
    created = event["operationType"] == "insert"
    doc = event.get("fullDocument")
    key = str(event["documentKey"]["_id"])
    if collection == "users":
        return UserWritten(key, created)
    if collection == "messages":
        room = (doc or {}).get("room_id")  # an update whose message is gone since: none
        return MessageWritten(str(room)) if room is not None else None
    if collection == "rooms":
        after = _ids(doc)
        before = event.get("fullDocumentBeforeChange")
        owner = (doc or {}).get("owner_id")
        return RoomWritten(
            room_id=key,
            created=created,
            owner_id=str(owner) if owner is not None else None,
            members=after,
            moved=after ^ _ids(before) if before is not None else after,
        )
    return None


class MongoChangeFeed:
    """Parameters: database — the one both apps write; listeners — called in order
    for every change, on the feed's thread (an error in one is logged, not fatal)."""

    def __init__(self, database: Database[Document], listeners: Sequence[Listener]) -> None:
        self._database = database
        self._listeners = list(listeners)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="modern-change-feed", daemon=True)
        self._again: deque[tuple[float, Change]] = deque()  # (when, change), in time order
        self._waiting: set[Change] = set()  # what `_again` holds: a burst is redelivered once
        self.watching = False

    def start(self) -> None:
        """Start following, and return once the stream is open: a write made after
        this returns is seen."""
        self._thread.start()
        if not self._ready.wait(OPEN_TIMEOUT_SECONDS):
            log.warning("the change stream did not open in %.0fs", OPEN_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """Stop following (changes still waiting for their second delivery are dropped:
        the views they guard expire with their TTL)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=STOP_WAIT_SECONDS)

    def _run(self) -> None:
        token: Mapping[str, Any] | None = None
        while not self._stop.is_set():
            try:
                with self._database.watch(
                    PIPELINE,
                    full_document="updateLookup",
                    full_document_before_change="whenAvailable",
                    resume_after=token,
                    max_await_time_ms=POLL_MS,
                ) as stream:
                    self.watching = True
                    self._ready.set()
                    while not self._stop.is_set():
                        event = stream.try_next()
                        token = stream.resume_token
                        change = to_change(event) if event is not None else None
                        if change is not None:
                            self._notify(change)
                            self._redeliver_later(change)
                        self._redeliver_due()
            except OperationFailure as exc:
                if exc.code in UNSUPPORTED:
                    log.warning("no change streams here, caches rely on their TTL: %s", exc)
                    break
                if exc.code in HISTORY_LOST:
                    token = None
                self._pause(exc)
            except PyMongoError as exc:
                self._pause(exc)
        self.watching = False
        self._ready.set()

    def _pause(self, exc: Exception) -> None:
        self.watching = False
        log.warning("change stream interrupted, reopening in %.0fs: %s", RETRY_SECONDS, exc)
        self._stop.wait(RETRY_SECONDS)

    def _redeliver_later(self, change: Change) -> None:
        if change not in self._waiting:
            self._waiting.add(change)
            self._again.append((time.monotonic() + REDELIVER_AFTER_SECONDS, change))

    def _redeliver_due(self) -> None:
        now = time.monotonic()
        while self._again and self._again[0][0] <= now:
            change = self._again.popleft()[1]
            self._waiting.discard(change)
            self._notify(change)

    def _notify(self, change: Change) -> None:
        for listener in self._listeners:
            try:
                listener(change)
            except Exception:  # a listener's bug must not stop the feed
                log.exception("change listener failed on %r", change)
