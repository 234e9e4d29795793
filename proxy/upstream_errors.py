"""The last few upstream failures per upstream, with their detail, for operators only.

A client that got a 502 or 504 sees a generic message and a request id; the
upstream's address, the errno and the parser's complaint are what an operator needs
to act, so they go to the log and here, where `api/status` (behind the admin token)
shows them. Bounded: a few entries per upstream, and upstream names come from
routes.yaml. A failure that repeats the last one of its upstream (same status, route
and detail: a down upstream, `readyz` polled every second) updates that entry and its
`count` instead of pushing older, different failures out. Each worker keeps its own;
the status shows the answering worker's.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

__all__ = ["KEPT_PER_UPSTREAM", "RecentErrors"]

KEPT_PER_UPSTREAM = 20


@dataclass(slots=True)
class _Failure:
    at: str
    status: int
    route: str
    request_id: str
    detail: str
    count: int = 1


class RecentErrors:
    """The newest `KEPT_PER_UPSTREAM` failures of each upstream, oldest first."""

    def __init__(self, kept: int = KEPT_PER_UPSTREAM) -> None:
        self._kept = kept
        self._by_upstream: dict[str, deque[_Failure]] = {}

    def record(self, upstream: str, status: int, detail: str, route: str, request_id: str) -> None:
        """One failure: the status the client got, the detail it did not, the route
        (or "readyz") and the request id that client was given."""
        entries = self._by_upstream.get(upstream)
        if entries is None:
            entries = self._by_upstream[upstream] = deque(maxlen=self._kept)
        at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        last = entries[-1] if entries else None
        if last is not None and (last.status, last.route, last.detail) == (status, route, detail):
            last.at, last.request_id, last.count = at, request_id, last.count + 1
            return
        entries.append(_Failure(at, status, route, request_id, detail))

    def as_json(self) -> dict[str, list[dict[str, object]]]:
        return {
            name: [asdict(entry) for entry in entries]
            for name, entries in sorted(self._by_upstream.items())
        }
