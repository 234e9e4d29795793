"""One modern server per test module, on its own database and Redis prefix.

Starting a server costs about a second, so a module shares one; tests that need a
clean slate create their own users and rooms (usernames carry a random suffix).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.modern.client import Api
from tests.support.isolation import fresh_database, fresh_redis_prefix
from tests.support.servers import RunningServer, run_app

MODERN = "modern.app:app"


@pytest.fixture(scope="module")
def module_db(mongo_server_uri: str) -> Iterator[str]:
    with fresh_database(mongo_server_uri) as uri:
        yield uri


@pytest.fixture(scope="module")
def module_prefix(redis_url: str) -> Iterator[str]:
    with fresh_redis_prefix(redis_url) as prefix:
        yield prefix


def modern_env(mongo_uri: str, redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    return {"MONGODB_URI": mongo_uri, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix, **extra}


@pytest.fixture(scope="module")
def server(module_db: str, redis_url: str, module_prefix: str) -> Iterator[RunningServer]:
    # These modules assert which cache keys a read leaves behind; the change feed would
    # drop them again (also a second later) at moments a test does not control. Modern's
    # own invalidation is what they test; the feed has test_change_feed.py.
    env = modern_env(module_db, redis_url, module_prefix, MODERN_CHANGE_FEED="0")
    with run_app(MODERN, env=env) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def api(http: httpx.Client) -> Api:
    return Api(http)
