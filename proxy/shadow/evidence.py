"""Evidence: a few recent, redacted examples of each difference, per route and path.

A counter says *that* `rooms[*].members[*].display_name` differs 3% of the time; a
sample says *how* (both values, the concrete index, the request that showed it), which
is what an engineer needs to fix modern or declare the difference. Each (route, path)
keeps the newest `reservoir_size` samples in a Redis list (LPUSH + LTRIM); a set per
route lists the paths that have samples. Samples are redacted before they leave the
process and large values are cut, so a sample never carries a credential or a
megabyte of JSON.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict, deque
from datetime import UTC, datetime

import redis.asyncio
import redis.exceptions

from proxy.counters import Outage
from proxy.exchange import CapturedRequest
from proxy.redis_replies import text
from proxy.shadow.diff import Difference
from proxy.shadow.redact import (
    REDACTED,
    is_sensitive,
    redact,
    redact_headers,
    redact_query,
    redact_text,
)

__all__ = ["MAX_VALUE_CHARS", "EvidenceStore", "make_sample"]

log = logging.getLogger("proxy.shadow")

MAX_VALUE_CHARS = 2000
MAX_RECENT = 200


def _cut(value: object) -> object:
    """Keep a value whole when small; otherwise its JSON text, cut with a marker."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) <= MAX_VALUE_CHARS:
        return value
    return text[:MAX_VALUE_CHARS] + f"… ({len(text)} chars)"


def _value(path: str, value: object) -> object:
    last = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if value is not None and is_sensitive(last):
        return REDACTED
    return _cut(redact(value))


def make_sample(route_id: str, diff: Difference, request: CapturedRequest) -> dict[str, object]:
    """A JSON-ready, redacted record of one difference and the request that showed it."""
    return {
        "route_id": route_id,
        "kind": diff.kind,
        "path": diff.path,
        "at": diff.at,
        "legacy": _value(diff.path, diff.legacy),
        "modern": _value(diff.path, diff.modern),
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "ts": time.time(),
        "request": {
            "method": request.method,
            "path": redact_text(request.path),  # e.g. /reset/<token>
            "query": redact_query(request.query_string),
            "request_id": request.request_id,
            "headers": redact_headers(request.headers),
        },
    }


class EvidenceStore:
    """Buffered per-path sample reservoirs in Redis; `flush()` runs in the background."""

    def __init__(self, client: redis.asyncio.Redis, key_prefix: str) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._pending: dict[tuple[str, str], deque[str]] = {}
        self._sizes: dict[tuple[str, str], int] = defaultdict(lambda: 20)
        self._outage = Outage("shadow evidence", log, meanwhile="new diff samples are dropped")

    def _list_key(self, route_id: str, path: str) -> str:
        return f"{self._prefix}shadow:{route_id}:evidence:{path}"

    def _paths_key(self, route_id: str) -> str:
        return f"{self._prefix}shadow:{route_id}:evidence-paths"

    def has_room(self, route_id: str, path: str, keep: int) -> bool:
        """Whether another sample of this path fits before the next flush (saves building it)."""
        queue = self._pending.get((route_id, path))
        return queue is None or len(queue) < keep

    def add(self, sample: dict[str, object], keep: int) -> None:
        """Buffer a sample; at most `keep` per path wait in memory between flushes."""
        slot = (str(sample["route_id"]), str(sample["path"]))
        queue = self._pending.get(slot)
        if queue is None or queue.maxlen != keep:
            queue = self._pending[slot] = deque(queue or (), maxlen=keep)
        self._sizes[slot] = keep
        queue.append(json.dumps(sample, default=str, ensure_ascii=False))

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for (route_id, path), samples in pending.items():
                    key = self._list_key(route_id, path)
                    pipe.lpush(key, *samples)
                    pipe.ltrim(key, 0, self._sizes[(route_id, path)] - 1)
                    pipe.sadd(self._paths_key(route_id), path)
                await pipe.execute()
        except (redis.exceptions.RedisError, OSError) as exc:
            self._outage.failed(exc)
        else:
            self._outage.recovered()

    async def recent(self, route_id: str, limit: int = MAX_RECENT) -> list[dict[str, object]]:
        """The newest samples of a route across its paths, newest first."""
        paths = sorted(text(p) for p in await self._redis.smembers(self._paths_key(route_id)))
        if not paths:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for path in paths:
                pipe.lrange(self._list_key(route_id, path), 0, -1)
            lists = await pipe.execute()
        samples = [json.loads(raw) for items in lists for raw in items]
        samples.sort(key=lambda s: -float(s.get("ts", 0)))
        return samples[:limit]


