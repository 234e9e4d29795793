"""Rendered views: JSON rendered once and kept in Redis as bytes, grouped in hashes.

A group is one Redis hash (a room's views, the room list's page order, a user's home
order, search results); its fields are the views. A write drops whole groups with one
DEL, so the rules of what a write changes (decided in `modern.services.views`) name
groups, never single pages. Reads fetch any number of fields in one pipelined round
trip (two when a copy held here went stale). Degrades like the rest of the cache:
during a Redis outage every view is a miss, copies included.

Every view is stored with a version (field `#<view>`, written in the same HSET), and
each worker keeps its own copies of the views it read (`LocalCopies`): a read asks
Redis only for the versions of the views it holds and fetches the bodies of the rest.
The room list's 50 summaries are 2 MB at the case-study scale; with the copies, a
read of an unchanged page moves a few hundred bytes from Redis instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence

from modern.repositories.cache import Cache
from modern.repositories.local_copies import LocalCopies
from modern.wire import Raw

GROUP_PREFIX = "view:"
VERSION_MARK = "#"  # field "#<view>" holds the version of field "<view>"
ViewKey = tuple[str, str]


def _version_field(field: str) -> str:
    return VERSION_MARK + field


class RedisViews:
    """Parameters: cache — the shared Redis cache; ttl — seconds a group lives (0 = off);
    local_bytes — the budget of this worker's copies (0: every read fetches bodies)."""

    def __init__(self, cache: Cache, ttl: int, local_bytes: int = 0) -> None:
        self._cache = cache
        self._ttl = ttl
        self.local: LocalCopies[Raw] = LocalCopies(local_bytes)

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def get_many(self, keys: Sequence[ViewKey]) -> list[Raw | None]:
        """The current view of each key, None where there is none. One round trip
        when every held copy is current; a second for the copies that went stale."""
        if not self.enabled:
            return [None] * len(keys)
        held = [self.local.version(key) is not None for key in keys]
        replies = self._fetch(keys, bodies=[not h for h in held])
        views: list[Raw | None] = []
        stale: list[int] = []
        for position, (key, reply) in enumerate(zip(keys, replies, strict=True)):
            version = reply[-1]
            if version is None:  # dropped, expired or never rendered
                views.append(None)
            elif not held[position]:
                views.append(self._keep(key, version, reply[0]))
            else:
                copy = self.local.get(key, version)
                if copy is None:
                    stale.append(position)
                views.append(copy)
        if stale:
            refetched = self._fetch([keys[p] for p in stale], bodies=[True] * len(stale))
            for position, (body, version) in zip(stale, refetched, strict=True):
                views[position] = self._keep(keys[position], version, body)
        return views

    def put_many(self, values: Mapping[ViewKey, bytes]) -> None:
        """Store each view under a new version (and keep a copy of it here)."""
        version = secrets.token_hex(8).encode()
        groups: dict[str, dict[str, bytes]] = {}
        for (group, field), raw in values.items():
            groups.setdefault(GROUP_PREFIX + group, {}).update(
                {field: raw, _version_field(field): version}
            )
            self._keep((group, field), version, raw)
        self._cache.set_fields(groups, self._ttl)

    def drop(self, groups: Iterable[str]) -> None:
        """Forget every view of `groups` (also with the cache off: a TTL change or a
        second process may have filled them). Copies here of the dropped views are
        never served again: their versions are gone from Redis."""
        self._cache.delete_all(GROUP_PREFIX + group for group in groups)

    def _fetch(self, keys: Sequence[ViewKey], bodies: Sequence[bool]) -> list[list[bytes | None]]:
        """Per key, `[body, version]` where `bodies` says so, else `[version]`."""
        requests = [
            (GROUP_PREFIX + group, [field, _version_field(field)][0 if body else 1 :])
            for (group, field), body in zip(keys, bodies, strict=True)
        ]
        return self._cache.get_fields(requests)

    def _keep(self, key: ViewKey, version: bytes | None, body: bytes | None) -> Raw | None:
        if body is None or version is None:
            return None
        view = body if isinstance(body, Raw) else Raw(body)
        self.local.put(key, version, view)
        return view
