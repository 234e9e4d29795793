"""A pymongo CommandListener that logs slow database commands and counts all of them.

Slow commands are logged on `modern.slow_query` with structured `extra` fields
(`command`, `collection`, `duration_ms`) so a JSON log formatter can index them.
"""

from __future__ import annotations

import logging
import threading

from pymongo import monitoring

log = logging.getLogger("modern.slow_query")


class SlowQueryListener(monitoring.CommandListener):
    """Parameters: threshold_ms — commands at or above it are logged."""

    def __init__(self, threshold_ms: float) -> None:
        self.threshold_ms = threshold_ms
        self.commands = 0
        self.slow = 0
        self._collections: dict[tuple[int, int], str] = {}
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        with self._lock:
            self.commands += 1
            self._collections[(event.request_id, event.operation_id or 0)] = (
                target if isinstance(target, str) else ""
            )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finished(event)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._finished(event)

    def _finished(
        self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent
    ) -> None:
        with self._lock:
            collection = self._collections.pop((event.request_id, event.operation_id or 0), "")
        duration_ms = event.duration_micros / 1000
        if duration_ms >= self.threshold_ms:
            with self._lock:
                self.slow += 1
            log.warning(
                "slow query: %s %s %.1f ms",
                event.command_name,
                collection,
                duration_ms,
                extra={
                    "command": event.command_name,
                    "collection": collection,
                    "duration_ms": round(duration_ms, 1),
                },
            )
