"""Fixtures of the legacy app's integration tests: one real server per test module.

Each module gets its own database and one `uvicorn legacy.app:app` process (starting
one costs about a second); each test registers its own users, rooms and messages over
HTTP (`api`, a `LegacyApi`), so tests do not depend on each other's data. `db` reads
and writes the same database directly, to check what was stored and to set up states
the API cannot create (a user never seen, two rooms with the same `last_message_at`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pymongo.database import Database

from tests.integration.legacy.helpers import Doc, LegacyApi
from tests.support.isolation import fresh_database, open_database
from tests.support.servers import RunningServer, run_app


@pytest.fixture(scope="module")
def legacy_db_uri(mongo_server_uri: str) -> Iterator[str]:
    with fresh_database(mongo_server_uri, "legacy") as uri:
        yield uri


@pytest.fixture(scope="module")
def legacy(legacy_db_uri: str) -> Iterator[RunningServer]:
    with run_app("legacy.app:app", env={"MONGODB_URI": legacy_db_uri}) as server:
        yield server


@pytest.fixture(scope="module")
def api(legacy: RunningServer) -> Iterator[LegacyApi]:
    with LegacyApi(base_url=legacy.url, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def db(legacy_db_uri: str) -> Iterator[Database[Doc]]:
    with open_database(legacy_db_uri) as database:
        yield database
