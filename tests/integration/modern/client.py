"""A small test client for the social API: register users, make rooms, post."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct horse battery"


@dataclass
class Account:
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """Helpers over an httpx client whose base_url is the app under test."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def register(self, name: str = "user", **extra: Any) -> Account:
        username = f"{name}_{uuid.uuid4().hex[:8]}"
        reply = self.http.post(
            "/api/auth/register", json={"username": username, "password": PASSWORD, **extra}
        )
        assert reply.status_code == 201, reply.text
        body = reply.json()
        return Account(body["user"]["id"], username, body["token"])

    def room(self, owner: Account, name: str = "room", **extra: Any) -> dict[str, Any]:
        reply = self.http.post("/api/rooms", json={"name": name, **extra}, headers=owner.headers)
        assert reply.status_code == 201, reply.text
        return reply.json()  # type: ignore[no-any-return]

    def join(self, who: Account, room_id: str) -> None:
        reply = self.http.post(f"/api/rooms/{room_id}/join", headers=who.headers)
        assert reply.status_code == 200, reply.text

    def post(self, who: Account, room_id: str, text: str) -> dict[str, Any]:
        reply = self.http.post(
            f"/api/rooms/{room_id}/messages", json={"text": text}, headers=who.headers
        )
        assert reply.status_code == 201, reply.text
        return reply.json()  # type: ignore[no-any-return]

    def get(self, who: Account, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=who.headers)
