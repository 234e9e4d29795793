"""Fixtures of the legacy app's integration tests: one real server per test module.

Each module gets its own database and one `uvicorn legacy.app:app` process (starting
one costs about a second); each test registers its own users over HTTP, so tests do
not depend on each other's data. `db` reads and writes the same database directly,
to check what was stored and to set up states the API cannot create (a user never
seen, two rooms with the same `last_message_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pymongo.database import Database

from tests.integration.legacy.helpers import PASSWORD, Account, Doc, unique_name
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
def api(legacy: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=legacy.url, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def db(legacy_db_uri: str) -> Iterator[Database[Doc]]:
    with open_database(legacy_db_uri) as database:
        yield database


@pytest.fixture
def register(api: httpx.Client) -> Callable[..., Account]:
    """Register a new user (a unique username unless one is given) and return it."""

    def _register(username: str | None = None, **extra: Any) -> Account:
        body = {"username": username or unique_name(), "password": PASSWORD, **extra}
        response = api.post("/api/auth/register", json=body)
        assert response.status_code == 201, response.text
        payload = response.json()
        return Account(user=payload["user"], token=payload["token"])

    return _register


@pytest.fixture
def make_room(api: httpx.Client) -> Callable[..., Doc]:
    """Create a room as `owner` and return the room object."""

    def _make_room(owner: Account, name: str | None = None, **extra: Any) -> Doc:
        body = {"name": name or unique_name("room"), **extra}
        response = api.post("/api/rooms", json=body, headers=owner.headers)
        assert response.status_code == 201, response.text
        room: Doc = response.json()
        return room

    return _make_room


@pytest.fixture
def post(api: httpx.Client) -> Callable[[Account, str, str], Doc]:
    """Post `text` in a room as `author` and return the message object."""

    def _post(author: Account, room_id: str, text: str) -> Doc:
        response = api.post(
            f"/api/rooms/{room_id}/messages", json={"text": text}, headers=author.headers
        )
        assert response.status_code == 201, response.text
        message: Doc = response.json()
        return message

    return _post
