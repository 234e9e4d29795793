"""Evidence window records: what a window is, how it is stored, and the recent evidence.

Pure values and functions (no I/O), kept apart from `windows.py`, which moves them
in and out of Redis: a `Window` and its Redis hash and history-list forms, the
fingerprint of the comparison settings a window counts under, and the counting of
the recent-outcome log readiness is judged on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from proxy.config import Route
from proxy.redis_replies import text

__all__ = [
    "RECENT_CODES",
    "Window",
    "closed_window",
    "current_window",
    "fingerprint",
    "iso",
    "recent_counts",
    "window_fields",
    "with_version",
]

log = logging.getLogger("proxy.shadow")

RECENT_CODES = {
    "matched": "m",
    "mismatched": "x",
    "intended": "i",
    "modern_error": "e",
    "timeout": "t",
}
"""The outcomes readiness weighs, and the one-letter code each is logged under."""
_OUTCOME_OF = {code: name for name, code in RECENT_CODES.items()}


@dataclass(frozen=True, slots=True)
class Window:
    """One evidence window of a route.

    Parameters:
        id: 1, 2, … per route.
        started_at: epoch seconds.
        reason: why it opened ("first comparison", "compare rules changed", …).
        fingerprint: digest of the comparison settings it counts under.
        upstream: the URL modern's answers came from.
        version: modern's version as announced (None: not announced).
        ended_at, ended_by: for a closed window, when and why it closed.
    """

    id: int
    started_at: float
    reason: str
    fingerprint: str
    upstream: str
    version: str | None = None
    ended_at: float | None = None
    ended_by: str | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = asdict(self)
        out["started"] = iso(self.started_at)
        if self.ended_at is not None:
            out["ended"] = iso(self.ended_at)
        return out


def fingerprint(route: Route, upstream_url: str) -> str:
    """What the evidence depends on: the compare rules and the URL compared against."""
    text = route.compare.model_dump_json() + "|" + upstream_url
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def recent_counts(
    entries: Iterable[bytes | str], *, limit: int, hours: float | None, now: float
) -> dict[str, int]:
    """Outcome counts of the newest `limit` log entries no older than `hours`."""
    oldest = None if hours is None else int((now - hours * 3600) // 60)
    counts = dict.fromkeys(RECENT_CODES, 0)
    for index, raw in enumerate(entries):
        if index >= limit:
            break
        entry = text(raw)
        name = _OUTCOME_OF.get(entry[:1])
        if name is None or not entry[1:].isdigit():
            continue
        if oldest is not None and int(entry[1:]) < oldest:
            break  # newest first: everything after this is older still
        counts[name] += 1
    return counts


def window_fields(window: Window) -> dict[str, str]:
    return {k: str(v) for k, v in asdict(window).items() if v is not None}


def closed_window(raw: bytes | str) -> Window | None:
    """A closed window from the history list; an unreadable entry is skipped, not fatal."""
    try:
        return Window(**json.loads(raw))
    except (ValueError, TypeError):
        log.warning("shadow: skipping an unreadable evidence window record: %r", raw[:200])
        return None


def current_window(raw: dict[bytes | str, bytes | str]) -> Window | None:
    if not raw:
        return None
    data = {text(k): text(v) for k, v in raw.items()}
    try:
        return Window(
            id=int(data["id"]),
            started_at=float(data["started_at"]),
            reason=data.get("reason", ""),
            fingerprint=data.get("fingerprint", ""),
            upstream=data.get("upstream", ""),
            version=data.get("version"),
        )
    except (KeyError, ValueError):
        return None


def with_version(window: Window, version: str) -> Window:
    return Window(**{**asdict(window), "version": version})


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
