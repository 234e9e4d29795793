"""Fixtures shared by every suite: the embedded database and Redis.

One SecantusDB server serves the whole session (starting one costs ~0.5 s); each
test that needs isolation gets its own database name on it. Redis is the real
server at 127.0.0.1:6379 (or REDIS_URL); each session gets its own key prefix and
deletes its keys afterwards. When CI is set, an unreachable Redis is a failure, not
a skip, so a broken machine cannot turn the Redis-backed tests green.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from strangler.embedded_db import EmbeddedMongo
from tests.support.isolation import fresh_database, fresh_redis_prefix

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def mongo_server_uri() -> Iterator[str]:
    """A MongoDB-compatible server: MONGODB_URI's if set, else an embedded in-memory one."""
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external.rstrip("/")
        return
    with EmbeddedMongo() as server:
        yield server.uri


@pytest.fixture
def mongo_uri(mongo_server_uri: str) -> Iterator[str]:
    """A URI naming a fresh database of its own; the database is dropped afterwards."""
    with fresh_database(mongo_server_uri) as uri:
        yield uri


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {url} is unreachable in CI: {exc}")
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test or run uses; its keys are deleted afterwards."""
    with fresh_redis_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture
def redis_env(redis_url: str, redis_prefix: str) -> dict[str, str]:
    """What points a proxy (every worker of it) at the shared Redis, under this test's
    own key prefix."""
    return {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": redis_prefix}
