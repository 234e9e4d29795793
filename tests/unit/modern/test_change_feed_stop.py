"""The change feed never holds up a worker's exit by more than a second."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from modern.repositories import changes
from modern.repositories.changes import STOP_WAIT_SECONDS, MongoChangeFeed


class _StuckDatabase:
    """A database whose `watch` blocks (a server that never answers server selection)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def watch(self, *args: Any, **kwargs: Any) -> Any:
        self.release.wait(30)
        raise ServerSelectionTimeoutError("no server")  # what pymongo raises in the end


def test_stop_returns_within_a_second_while_the_thread_is_stuck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(changes, "OPEN_TIMEOUT_SECONDS", 0.05)
    database = _StuckDatabase()
    feed = MongoChangeFeed(database, [])  # type: ignore[arg-type]
    feed.start()
    try:
        started = time.monotonic()
        feed.stop()
        assert time.monotonic() - started < STOP_WAIT_SECONDS + 0.5
    finally:
        database.release.set()
        feed._thread.join(5)  # gone before the next test: nothing outlives this one
