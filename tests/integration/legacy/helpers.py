"""Helpers of the legacy app's integration tests: a client, accounts, names, envelope checks."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

Doc = dict[str, Any]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    """A registered user: the user object the API returned and a live token."""

    user: Doc
    token: str

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def username(self) -> str:
        return str(self.user["username"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unique_name(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    """The contract's error envelope with a non-empty message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


class LegacyApi(httpx.Client):
    """An HTTP client of the legacy server, plus the few calls nearly every test makes to
    set up its own users, rooms and messages (each asserts that legacy accepted it)."""

    def register(self, username: str | None = None, **extra: Any) -> Account:
        """Register a new user (a unique username unless one is given) and return it."""
        body = {"username": username or unique_name(), "password": PASSWORD, **extra}
        response = self.post("/api/auth/register", json=body)
        assert response.status_code == 201, response.text
        payload = response.json()
        return Account(user=payload["user"], token=payload["token"])

    def login(self, account: Account) -> httpx.Response:
        """Log `account` in again (a new session), with its right password."""
        return self.post(
            "/api/auth/login", json={"username": account.username, "password": PASSWORD}
        )

    def make_room(self, owner: Account, name: str | None = None, **extra: Any) -> Doc:
        """Create a room as `owner` and return the room object."""
        body = {"name": name or unique_name("room"), **extra}
        response = self.post("/api/rooms", json=body, headers=owner.headers)
        assert response.status_code == 201, response.text
        room: Doc = response.json()
        return room

    def post_message(self, author: Account, room_id: str, text: str) -> Doc:
        """Post `text` in a room as `author` and return the message object."""
        response = self.post(
            f"/api/rooms/{room_id}/messages", json={"text": text}, headers=author.headers
        )
        assert response.status_code == 201, response.text
        message: Doc = response.json()
        return message
