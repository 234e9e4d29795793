"""Rendered views: JSON rendered once and kept in Redis as bytes, grouped in hashes.

A group is one Redis hash (a room's views, the room list's page order, a user's home
order, search results); its fields are the views. A write drops whole groups with one
DEL, so the rules of what a write changes (decided in `modern.readmodel.views`) name
groups, never single pages. Reads fetch any number of fields in one pipelined round
trip (two when a copy held here went stale). Degrades like the rest of the cache:
during a Redis outage every view is a miss, copies included.

Every view is stored with a version (field `#<view>`, written in the same HSET), and
each worker keeps its own copies of the views it read (`LocalCopies`): a read asks
Redis only for the versions of the views it holds and fetches the bodies of the rest.
The room list's 50 summaries are 2 MB at the case-study scale; with the copies, a
read of an unchanged page moves a few hundred bytes from Redis instead.

Freshness. A version is `<random>@<fresh until, epoch ms>`: a view is fresh for `ttl`
seconds (MODERN_CACHE_TTL) after it was stored. For `stale` seconds more
(MODERN_STALE_SECONDS) it is *lapsed*: still served, and the caller asks `refresh` to
rebuild it in the background (`modern.repositories.refresh`: one rebuild per view
across workers and instances). Past that it is gone, and the next read rebuilds it in
line. So the TTL never makes a user wait for a rebuild (the room list's at the
case-study scale took seconds), and a view is never older than `ttl + stale`.

Staleness only ever follows expiry. A write drops its groups (DEL), and a dropped
view has no version: it is a miss, never a lapsed copy. A background rebuild stores
its result only while the view still has the lapsed version it replaces (WATCH/MULTI),
so a rebuild that read the data before a write cannot put back what the write dropped.
(The same check makes the rare second rebuild harmless: a read that saw the lapsed
version just before the first rebuild landed and released its lock starts one more,
which finds the view replaced and stores nothing.)
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from modern.repositories.cache import Cache
from modern.repositories.local_copies import LocalCopies
from modern.repositories.refresh import Refresher
from modern.wire import Raw

GROUP_PREFIX = "view:"
VERSION_MARK = "#"  # field "#<view>" holds the version of field "<view>"
STAMP_MARK = b"@"  # a version is b"<random>@<fresh until, epoch ms>"
LOCK_PREFIX = "refresh:view:"
ViewKey = tuple[str, str]
Rebuild = Callable[[list[ViewKey]], Mapping[ViewKey, bytes]]


class Found(NamedTuple):
    """A stored view: its body, its version, and whether its freshness has lapsed."""

    body: Raw
    version: bytes
    lapsed: bool


def _version_field(field: str) -> str:
    return VERSION_MARK + field


def fresh_until(version: bytes) -> float:
    """Epoch seconds a version's view is fresh until (a version without a stamp, from
    before stamps, never lapses: its group's own expiry ends it)."""
    _, mark, stamp = version.rpartition(STAMP_MARK)
    return int(stamp) / 1000 if mark and stamp.isdigit() else float("inf")


def _found(view: Raw | None, version: bytes | None, now: float) -> Found | None:
    if view is None or version is None:
        return None
    return Found(view, version, now >= fresh_until(version))


class RedisViews:
    """Parameters: cache — the shared Redis cache; ttl — seconds a view is fresh (0 =
    off); local_bytes — the budget of this worker's copies (0: every read fetches
    bodies); stale — seconds a lapsed view is still served while it is rebuilt (0 =
    never); refresher — runs those rebuilds (None: lapsed views are not rebuilt in the
    background, so they are served until their bound and then rebuilt in line)."""

    def __init__(
        self,
        cache: Cache,
        ttl: int,
        local_bytes: int = 0,
        *,
        stale: float = 0.0,
        refresher: Refresher | None = None,
    ) -> None:
        self._cache = cache
        self._ttl = ttl
        self._stale = stale if refresher is not None else 0.0
        self._refresher = refresher
        self.local: LocalCopies[Raw] = LocalCopies(local_bytes)

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def get_many(self, keys: Sequence[ViewKey]) -> list[Raw | None]:
        """The body of each key's view (fresh or lapsed), None where there is none."""
        return [None if found is None else found.body for found in self.lookup(keys)]

    def lookup(self, keys: Sequence[ViewKey]) -> list[Found | None]:
        """Each key's view, None where there is none (or it is past its stale bound).
        One round trip when every held copy is current; a second for the copies
        that went out of date."""
        if not self.enabled:
            return [None] * len(keys)
        held = [self.local.version(key) is not None for key in keys]
        replies = self._fetch(keys, bodies=[not h for h in held])
        views: list[Found | None] = []
        outdated: list[int] = []
        now = time.time()
        for position, (key, reply) in enumerate(zip(keys, replies, strict=True)):
            version = reply[-1]
            if version is None or now >= fresh_until(version) + self._stale:
                views.append(None)  # dropped, expired, past its bound or never rendered
            elif not held[position]:
                views.append(_found(self._keep(key, version, reply[0]), version, now))
            else:
                copy = self.local.get(key, version)
                if copy is None:
                    outdated.append(position)
                views.append(_found(copy, version, now))
        if outdated:
            refetched = self._fetch([keys[p] for p in outdated], bodies=[True] * len(outdated))
            for position, (body, version) in zip(outdated, refetched, strict=True):
                views[position] = _found(self._keep(keys[position], version, body), version, now)
        return views

    def put_many(self, values: Mapping[ViewKey, bytes]) -> None:
        """Store each view under a new version (and keep a copy of it here)."""
        version = self._new_version()
        groups: dict[str, dict[str, bytes]] = {}
        for (group, field), raw in values.items():
            groups.setdefault(GROUP_PREFIX + group, {}).update(
                {field: raw, _version_field(field): version}
            )
            self._keep((group, field), version, raw)
        self._cache.set_fields(groups, self._life)

    def refresh(self, lapsed: Mapping[ViewKey, bytes], rebuild: Rebuild) -> None:
        """Rebuild lapsed views (key -> the version read) in the background, each by one
        process of all; a result is stored only where the view still has that version."""
        if self._refresher is None or not lapsed:
            return
        keys = list(lapsed)

        def job(held: list[int]) -> None:
            chosen = [keys[p] for p in held]
            built = rebuild(chosen)
            version = self._new_version()
            for key in chosen:
                if key in built:
                    self._replace(key, lapsed[key], version, built[key])

        names = [f"{LOCK_PREFIX}{group}|{field}" for group, field in keys]
        self._refresher.submit(names, job)

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

    @property
    def _life(self) -> int:
        """How long a group outlives its latest write: to the end of the stale window
        (0 with the cache off: nothing is stored)."""
        return self._ttl + int(self._stale + 0.999) if self.enabled else 0

    def _new_version(self) -> bytes:
        until = int((time.time() + self._ttl) * 1000)
        return secrets.token_hex(8).encode() + STAMP_MARK + str(until).encode()

    def _replace(self, key: ViewKey, old: bytes, version: bytes, body: bytes) -> None:
        group, field = key
        fields = {field: body, _version_field(field): version}
        expected = {_version_field(field): old}
        if self._cache.set_fields_if(GROUP_PREFIX + group, fields, expected, self._life):
            self._keep(key, version, body)

    def _keep(self, key: ViewKey, version: bytes | None, body: bytes | None) -> Raw | None:
        """`body` as the `Raw` served from now on, kept here as this worker's copy (made
        once: a copy read again is written into replies as it is)."""
        if body is None or version is None:
            return None
        view = Raw(body)
        self.local.put(key, version, view)
        return view
