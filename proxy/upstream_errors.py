"""The last few upstream failures per upstream, with their detail, for operators only.

A client that got a 502 or 504 sees a generic message and a request id; the
upstream's address, the errno and the parser's complaint are what an operator needs
to act, so they go to the log and here, where `api/status` (behind the admin token)
shows them. Bounded: a few entries per upstream, and upstream names come from
routes.yaml. Each worker keeps its own; the status shows the answering worker's.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime

__all__ = ["KEPT_PER_UPSTREAM", "RecentErrors"]

KEPT_PER_UPSTREAM = 20


class RecentErrors:
    """The newest `KEPT_PER_UPSTREAM` failures of each upstream, oldest first."""

    def __init__(self, kept: int = KEPT_PER_UPSTREAM) -> None:
        self._kept = kept
        self._by_upstream: dict[str, deque[dict[str, object]]] = {}

    def record(self, upstream: str, status: int, detail: str, route: str, request_id: str) -> None:
        """One failure: the status the client got, the detail it did not, the route
        (or "readyz") and the request id that client was given."""
        entries = self._by_upstream.get(upstream)
        if entries is None:
            entries = self._by_upstream[upstream] = deque(maxlen=self._kept)
        entries.append(
            {
                "at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "status": status,
                "route": route,
                "request_id": request_id,
                "detail": detail,
            }
        )

    def as_json(self) -> dict[str, list[dict[str, object]]]:
        return {name: list(entries) for name, entries in sorted(self._by_upstream.items())}
