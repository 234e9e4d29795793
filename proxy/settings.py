"""The proxy's environment: read once per worker, at start-up, into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from proxy.edge.limits import EdgeLimits

__all__ = ["DEFAULT_KEY_PREFIX", "DEFAULT_LOCK", "DEFAULT_ROUTES", "Settings"]

DEFAULT_ROUTES = "routes.yaml"
DEFAULT_LOCK = "migration.lock"
DEFAULT_KEY_PREFIX = "strangler:"
DEFAULT_HISTORY_INTERVAL = 300.0
_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Where the proxy finds its configuration and its neighbours.

    Parameters:
        routes_path: routes.yaml (`STRANGLER_ROUTES`, default `routes.yaml`).
        upstream_overrides: URLs that win over routes.yaml (`LEGACY_URL`, `MODERN_URL`).
        redis_url: shared state and pub/sub (`REDIS_URL`); None means fakeredis in-process.
        key_prefix: prefix of every Redis key (`REDIS_KEY_PREFIX`, default `strangler:`).
        admin_token: bearer token required by `/_strangler/` (`STRANGLER_ADMIN_TOKEN`).
        lock_path: the ratchet's lock, the baseline of a worker's first table when Redis
            has none (`STRANGLER_LOCK`, default `migration.lock` beside routes.yaml).
        admin_open: with no token, let anyone make state-changing admin calls
            (`STRANGLER_ADMIN_OPEN=1`); otherwise the admin area is read-only.
        history_interval: seconds between two periodic history snapshots
            (`STRANGLER_HISTORY_INTERVAL`, default 300).
        edge: request limits and client timeouts (`STRANGLER_MAX_*`, `*_TIMEOUT`, …).
    """

    routes_path: Path
    upstream_overrides: dict[str, str]
    redis_url: str | None
    key_prefix: str = DEFAULT_KEY_PREFIX
    admin_token: str | None = None
    lock_path: Path | None = None
    admin_open: bool = False
    history_interval: float = DEFAULT_HISTORY_INTERVAL
    edge: EdgeLimits = field(default_factory=EdgeLimits)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        overrides = {
            name: env[var]
            for name, var in (("legacy", "LEGACY_URL"), ("modern", "MODERN_URL"))
            if env.get(var)
        }
        routes_path = Path(env.get("STRANGLER_ROUTES") or DEFAULT_ROUTES)
        return cls(
            routes_path=routes_path,
            upstream_overrides=overrides,
            redis_url=env.get("REDIS_URL") or None,
            key_prefix=env.get("REDIS_KEY_PREFIX") or DEFAULT_KEY_PREFIX,
            admin_token=env.get("STRANGLER_ADMIN_TOKEN") or None,
            lock_path=Path(env.get("STRANGLER_LOCK") or routes_path.parent / DEFAULT_LOCK),
            admin_open=env.get("STRANGLER_ADMIN_OPEN", "").strip().lower() in _TRUE,
            history_interval=_positive(env, "STRANGLER_HISTORY_INTERVAL", DEFAULT_HISTORY_INTERVAL),
            edge=EdgeLimits.from_env(env),
        )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive number of seconds; a bad value is a clear start-up error, not a guess."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: not a number of seconds") from None
    if not value > 0:
        raise ValueError(f"{name}={raw!r}: must be above 0")
    return value
