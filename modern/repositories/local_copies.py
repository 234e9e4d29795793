"""A worker's own copies of rendered views, each tagged with the version it was read at.

Fetching a 400 KB room summary from Redis costs about as much as everything else the
request does (at 2 MB a page, about 1 ms per MB with hiredis, and a copy into a new
bytes object). A worker keeps what it fetched, but never trusts it on its own: the
view store asks Redis for the view's current version first (a few bytes) and serves
the copy only when the versions match. A dropped group has no version any more, so
freshness is exactly Redis's; these copies only save the transfer.

Bounded by total bytes, least recently used first out. Thread-safe: FastAPI runs
the sync endpoints in a thread pool.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sized
from typing import Generic, TypeVar

V = TypeVar("V", bound=Sized)  # bytes, or a rendered view (`modern.wire.Raw`): its length


class LocalCopies(Generic[V]):
    """Parameters: max_bytes — the budget for all copies together (0 keeps nothing)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._copies: OrderedDict[Hashable, tuple[bytes, V]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes held now (the views' bodies; keys and versions are not counted)."""
        return self._size

    def version(self, key: Hashable) -> bytes | None:
        """The version of the copy held for `key`, if any."""
        with self._lock:
            held = self._copies.get(key)
        return None if held is None else held[0]

    def get(self, key: Hashable, version: bytes) -> V | None:
        """The copy of `key` if it is the one at `version` (and mark it recently used)."""
        with self._lock:
            held = self._copies.get(key)
            if held is None or held[0] != version:
                return None
            self._copies.move_to_end(key)
            return held[1]

    def put(self, key: Hashable, version: bytes, value: V) -> None:
        """Keep `value` as `key`'s copy at `version`, replacing an older one; a value
        larger than the whole budget is not kept."""
        with self._lock:
            self._forget(key)
            if len(value) > self.max_bytes:
                return
            self._copies[key] = (version, value)
            self._size += len(value)
            while self._size > self.max_bytes:
                _, (_, evicted) = self._copies.popitem(last=False)
                self._size -= len(evicted)

    def _forget(self, key: Hashable) -> None:
        """Drop `key`'s copy; the caller holds the lock."""
        old = self._copies.pop(key, None)
        if old is not None:
            self._size -= len(old[1])
