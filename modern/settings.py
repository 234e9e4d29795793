"""Modern's configuration: one frozen object read from the environment once.

Read in the app's lifespan (never at import) so that tests and the CLI can set the
environment before the app starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017/social"
DEFAULT_DATABASE = "social"
DEFAULT_REDIS_KEY_PREFIX = "strangler:"
DEFAULT_SLOW_QUERY_MS = 100.0
DEFAULT_CACHE_TTL_SECONDS = 30
DEFAULT_PROFILE_TTL_SECONDS = 300
DEFAULT_LOCAL_VIEWS_MB = 64
DEFAULT_STALE_SECONDS = 60


class SettingsError(ValueError):
    """An environment variable holds a value modern cannot use."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything modern reads from its environment.

    Parameters:
        mongodb_uri: MONGODB_URI; the database is the URI's path (`social` if empty).
        database: derived from `mongodb_uri`.
        redis_url: REDIS_URL; None means an in-process fakeredis stand-in (one process).
        redis_key_prefix: REDIS_KEY_PREFIX, prepended to every cache key and channel.
        slow_query_ms: MODERN_SLOW_QUERY_MS, database commands slower than this are logged.
        cache_ttl: MODERN_CACHE_TTL seconds for home parts, room summaries and rendered
            views (readmodel/views.py: room list, history, home, user rooms, search); 0 turns
            the cache off (reads go to the database; used by parity tests and benches).
            Rendered views are fresh this long, then served stale for `stale_seconds`.
        stale_seconds: MODERN_STALE_SECONDS a rendered view whose `cache_ttl` lapsed is
            still served while one background rebuild runs (0: rebuilt in line, as the
            first reader's wait). Longer than the slowest rebuild (the room list's, with
            recounts, took 21 s at the case-study scale), or that rebuild is in line.
        profile_ttl: MODERN_PROFILE_TTL seconds for cached user profiles (0 = off).
        local_views_mb: MODERN_LOCAL_VIEWS_MB, megabytes of rendered views each worker
            keeps a copy of, served after Redis confirms their version (0 = none).
        change_feed: MODERN_CHANGE_FEED, follow the database's change stream so that
            writes made by legacy drop modern's caches (`0` turns it off: those writes
            then show within the cache TTLs).
    """

    mongodb_uri: str = DEFAULT_MONGODB_URI
    database: str = DEFAULT_DATABASE
    redis_url: str | None = None
    redis_key_prefix: str = DEFAULT_REDIS_KEY_PREFIX
    slow_query_ms: float = DEFAULT_SLOW_QUERY_MS
    cache_ttl: int = DEFAULT_CACHE_TTL_SECONDS
    stale_seconds: float = DEFAULT_STALE_SECONDS
    profile_ttl: int = DEFAULT_PROFILE_TTL_SECONDS
    local_views_mb: float = DEFAULT_LOCAL_VIEWS_MB
    change_feed: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        uri = env.get("MONGODB_URI") or DEFAULT_MONGODB_URI
        return cls(
            mongodb_uri=uri,
            database=database_from_uri(uri),
            redis_url=env.get("REDIS_URL") or None,
            redis_key_prefix=env.get("REDIS_KEY_PREFIX", DEFAULT_REDIS_KEY_PREFIX),
            slow_query_ms=_number(env, "MODERN_SLOW_QUERY_MS", DEFAULT_SLOW_QUERY_MS),
            cache_ttl=int(_number(env, "MODERN_CACHE_TTL", DEFAULT_CACHE_TTL_SECONDS)),
            stale_seconds=_number(env, "MODERN_STALE_SECONDS", DEFAULT_STALE_SECONDS),
            profile_ttl=int(_number(env, "MODERN_PROFILE_TTL", DEFAULT_PROFILE_TTL_SECONDS)),
            local_views_mb=_number(env, "MODERN_LOCAL_VIEWS_MB", DEFAULT_LOCAL_VIEWS_MB),
            change_feed=_flag(env, "MODERN_CHANGE_FEED", default=True),
        )


def database_from_uri(uri: str) -> str:
    """`mongodb://h:p/name?opts` -> `name`; an empty path means `social`."""
    path = urlsplit(uri).path.strip("/")
    return path or DEFAULT_DATABASE


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE | _FALSE:
        return raw in _TRUE
    raise SettingsError(f"{name} must be 1 or 0 (true/false, on/off), got {env[name]!r}")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {raw!r}")
    return value
