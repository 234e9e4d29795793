"""Redis cache-aside with a degrade-to-database rule.

Values are JSON with datetimes tagged, under `<prefix>cache:<key>`. Any Redis error
opens a short circuit: for `OUTAGE_BACKOFF` seconds every call is a miss (reads go to
the database, writes and invalidations are skipped) instead of paying a connection
timeout per request. A TTL of 0 turns a namespace off (parity tests, benches).

Locks (`take_locks`, `release_locks`) are plain keys set with NX and a short life:
they make one process of many do a background rebuild (`modern.repositories.refresh`).
During an outage nobody gets a lock, so nothing is rebuilt behind the requests' back.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import redis

log = logging.getLogger("modern.cache")
T = TypeVar("T")
OUTAGE_BACKOFF = 5.0


def _encode(value: object) -> Any:
    if isinstance(value, datetime):
        return {"$dt": int(value.timestamp() * 1000)}
    raise TypeError(f"cannot cache {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$dt" in obj:
        return datetime.fromtimestamp(obj["$dt"] / 1000, UTC)
    return obj


def dumps(value: object) -> str:
    return json.dumps(value, default=_encode, separators=(",", ":"))


def loads(raw: bytes | str) -> Any:
    return json.loads(raw, object_hook=_decode)


class Cache:
    """Parameters: client — a sync Redis client (or fakeredis); prefix — key prefix.

    Counters `hits`, `misses` and `errors` are kept for the bench and tests.
    """

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix + "cache:"
        self._down_until = 0.0
        self.hits = self.misses = self.errors = 0

    def get_many(self, keys: Sequence[str]) -> list[Any]:
        """Cached values in order; None for a miss (or during an outage)."""
        if not keys or not self._up():
            return [None] * len(keys)
        try:
            raws = self._client.mget([self._prefix + key for key in keys])
        except redis.RedisError as exc:
            self._outage(exc)
            return [None] * len(keys)
        values = [loads(raw) if raw is not None else None for raw in raws]
        found = sum(value is not None for value in values)
        self.hits += found
        self.misses += len(keys) - found
        return values

    def set_many(self, values: Mapping[str, object], ttl: int, *, jitter: float = 0.0) -> None:
        """Store each value for `ttl` seconds, each key's TTL spread by ±`jitter` (a
        fraction) so that keys written together do not all expire together."""
        if not values or ttl <= 0 or not self._up():
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key, value in values.items():
                    life = round(ttl * (1 + random.uniform(-jitter, jitter))) if jitter else ttl
                    pipe.set(self._prefix + key, dumps(value), ex=max(1, life))
                pipe.execute()
        except redis.RedisError as exc:
            self._outage(exc)

    def delete(self, *keys: str) -> None:
        if not keys or not self._up():
            return
        try:
            self._client.delete(*(self._prefix + key for key in keys))
        except redis.RedisError as exc:
            self._outage(exc)

    def get_fields(self, requests: Sequence[tuple[str, Sequence[str]]]) -> list[list[bytes | None]]:
        """For each `(key, fields)`, the raw values of those hash fields (HMGET), all
        from one pipelined round trip. A request counts as a hit when its first field
        is there."""
        if not requests or not self._up():
            return [[None] * len(fields) for _, fields in requests]
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key, fields in requests:
                    pipe.hmget(self._prefix + key, list(fields))
                replies: list[list[bytes | None]] = pipe.execute()
        except redis.RedisError as exc:
            self._outage(exc)
            return [[None] * len(fields) for _, fields in requests]
        found = sum(reply[0] is not None for reply in replies)
        self.hits += found
        self.misses += len(requests) - found
        return replies

    def set_fields(self, values: Mapping[str, Mapping[str, bytes]], ttl: int) -> None:
        """Store raw hash fields, each key's in one HSET (so a reader sees all of them or
        none). A hash lives `ttl` seconds past its latest write (EXPIRE NX, then GT):
        that bounds its memory only; how long each field may be served is the field's
        own business (the views stamp theirs, see `modern.repositories.views`)."""
        if not values or ttl <= 0 or not self._up():
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key, fields in values.items():
                    self._hset(pipe, key, fields, ttl)
                pipe.execute()
        except redis.RedisError as exc:
            self._outage(exc)

    def set_fields_if(
        self, key: str, fields: Mapping[str, bytes], expected: Mapping[str, bytes], ttl: int
    ) -> bool:
        """Like `set_fields` for one hash, but only while every field of `expected` still
        holds its value (WATCH, then MULTI): a DEL or another write in between wins, and
        nothing is stored. True when stored."""
        if not fields or ttl <= 0 or not self._up():
            return False
        names = list(expected)
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.watch(self._prefix + key)
                if pipe.hmget(self._prefix + key, names) != [expected[n] for n in names]:
                    return False
                pipe.multi()
                self._hset(pipe, key, fields, ttl)
                pipe.execute()
        except redis.WatchError:
            return False
        except redis.RedisError as exc:
            self._outage(exc)
            return False
        return True

    def _hset(self, pipe: Any, key: str, fields: Mapping[str, bytes], ttl: int) -> None:
        pipe.hset(self._prefix + key, mapping=dict(fields))
        pipe.expire(self._prefix + key, ttl, nx=True)  # a new hash has no TTL for GT
        pipe.expire(self._prefix + key, ttl, gt=True)

    def take_locks(self, names: Sequence[str], token: str, seconds: float) -> list[bool]:
        """SET NX with a life of `seconds` for each lock, in one round trip: True where
        the caller holds it now (as `token`)."""
        if not names or not self._up():
            return [False] * len(names)
        life = max(1, int(seconds * 1000))
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.set(self._lock(name), token, nx=True, px=life)
                taken = pipe.execute()
        except redis.RedisError as exc:
            self._outage(exc)
            return [False] * len(names)
        return [bool(reply) for reply in taken]

    def release_locks(self, names: Sequence[str], token: str, *, after: float = 0.0) -> None:
        """Let go of the locks still held as `token`: now, or `after` seconds from now
        (a failed rebuild's pause before the next try). Not atomic (GET, then DEL or
        PEXPIRE): a lock that expired in between and was taken by another is at worst
        released early, which costs one duplicate rebuild."""
        if not names or not self._up():
            return
        try:
            held = [n for n, v in zip(names, self._client.mget(map(self._lock, names)), strict=True)
                    if v == token.encode()]  # fmt: skip
            if held and after > 0:
                with self._client.pipeline(transaction=False) as pipe:
                    for name in held:
                        pipe.pexpire(self._lock(name), max(1, int(after * 1000)))
                    pipe.execute()
            elif held:
                self._client.delete(*map(self._lock, held))
        except redis.RedisError as exc:
            self._outage(exc)

    def _lock(self, name: str) -> str:
        return self._prefix + "lock:" + name

    def delete_all(self, keys: Iterable[str]) -> None:
        self.delete(*dict.fromkeys(keys))

    def remember(self, key: str, ttl: int, load: Callable[[], T]) -> T:
        """The cached value of `key`, or `load()` stored for `ttl` seconds."""
        if ttl <= 0:
            return load()
        cached = self.get_many([key])[0]
        if cached is not None:
            return cached  # type: ignore[no-any-return]  # what load() stored under this key
        value = load()
        self.set_many({key: value}, ttl)
        return value

    def _up(self) -> bool:
        return time.monotonic() >= self._down_until

    def _outage(self, exc: Exception) -> None:
        self.errors += 1
        self._down_until = time.monotonic() + OUTAGE_BACKOFF
        log.warning(
            "redis unavailable, reading from the database for %.0fs: %s", OUTAGE_BACKOFF, exc
        )
