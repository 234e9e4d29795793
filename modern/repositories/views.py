"""Rendered views: JSON rendered once and kept in Redis as bytes, grouped in hashes.

A group is one Redis hash (a room's views, the room list's page order, a user's home
order, search results); its fields are the views. A write drops whole groups with one
DEL, so the rules of what a write changes (decided in `modern.services.views`) name
groups, never single pages. Reads fetch any number of fields in one pipelined round
trip. Degrades like the rest of the cache: during a Redis outage every view is a miss.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from modern.repositories.cache import Cache

GROUP_PREFIX = "view:"


class RedisViews:
    """Parameters: cache — the shared Redis cache; ttl — seconds a group lives (0 = off)."""

    def __init__(self, cache: Cache, ttl: int) -> None:
        self._cache = cache
        self._ttl = ttl

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[bytes | None]:
        if not self.enabled:
            return [None] * len(keys)
        return self._cache.get_fields([(GROUP_PREFIX + group, field) for group, field in keys])

    def put_many(self, values: Mapping[tuple[str, str], bytes]) -> None:
        named = {(GROUP_PREFIX + group, field): raw for (group, field), raw in values.items()}
        self._cache.set_fields(named, self._ttl)

    def drop(self, groups: Iterable[str]) -> None:
        """Forget every view of `groups` (also with the cache off: a TTL change or a
        second process may have filled them)."""
        self._cache.delete_all(GROUP_PREFIX + group for group in groups)
