"""The proxy's environment: read once per worker, at start-up, into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from proxy.edge.limits import EdgeLimits

__all__ = ["DEFAULT_KEY_PREFIX", "DEFAULT_ROUTES", "Settings"]

DEFAULT_ROUTES = "routes.yaml"
DEFAULT_KEY_PREFIX = "strangler:"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Where the proxy finds its configuration and its neighbours.

    Parameters:
        routes_path: routes.yaml (`STRANGLER_ROUTES`, default `routes.yaml`).
        upstream_overrides: URLs that win over routes.yaml (`LEGACY_URL`, `MODERN_URL`).
        redis_url: shared state and pub/sub (`REDIS_URL`); None means fakeredis in-process.
        key_prefix: prefix of every Redis key (`REDIS_KEY_PREFIX`, default `strangler:`).
        admin_token: bearer token required by `/_strangler/` (`STRANGLER_ADMIN_TOKEN`).
        edge: request limits and client timeouts (`STRANGLER_MAX_*`, `*_TIMEOUT`, …).
    """

    routes_path: Path
    upstream_overrides: dict[str, str]
    redis_url: str | None
    key_prefix: str = DEFAULT_KEY_PREFIX
    admin_token: str | None = None
    edge: EdgeLimits = field(default_factory=EdgeLimits)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        overrides = {
            name: env[var]
            for name, var in (("legacy", "LEGACY_URL"), ("modern", "MODERN_URL"))
            if env.get(var)
        }
        return cls(
            routes_path=Path(env.get("STRANGLER_ROUTES") or DEFAULT_ROUTES),
            upstream_overrides=overrides,
            redis_url=env.get("REDIS_URL") or None,
            key_prefix=env.get("REDIS_KEY_PREFIX") or DEFAULT_KEY_PREFIX,
            admin_token=env.get("STRANGLER_ADMIN_TOKEN") or None,
            edge=EdgeLimits.from_env(env),
        )
