"""The error handlers, in isolation: one tiny app whose routes raise."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from modern.api.errors import install_error_handlers
from modern.errors import Conflict, StorageError, ValidationFailed
from modern.schemas import RoomCreate


class Client:
    """Requests straight into the ASGI app (no server), errors answered, not raised."""

    def __init__(self, app: FastAPI) -> None:
        self.transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://t") as c:
                return await c.request(method, path, **kw)

        return asyncio.run(send())

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)


@pytest.fixture
def client() -> Client:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/conflict")
    def conflict() -> None:
        raise Conflict("taken")

    @app.get("/invalid")
    def invalid() -> None:
        raise ValidationFailed("bad", fields={"fields": "unknown"})

    @app.get("/storage")
    def storage() -> None:
        raise StorageError("connection refused to 10.0.0.1")

    @app.post("/rooms")
    def create(body: RoomCreate) -> dict[str, str]:
        return {"name": body.name}

    return Client(app)


def test_unexpected_errors_are_a_500_envelope_without_details(client: Client) -> None:
    reply = client.get("/boom")
    assert reply.status_code == 500
    assert reply.json() == {"error": {"code": "internal_error", "message": "internal server error"}}
    assert "secret" not in reply.text and "Traceback" not in reply.text


def test_domain_and_storage_errors(client: Client) -> None:
    assert client.get("/conflict").json() == {"error": {"code": "conflict", "message": "taken"}}
    assert client.get("/conflict").status_code == 409
    invalid = client.get("/invalid")
    assert invalid.status_code == 422 and invalid.json()["error"]["fields"] == {"fields": "unknown"}
    storage = client.get("/storage")
    assert storage.status_code == 503 and "10.0.0.1" not in storage.text


def test_request_validation(client: Client) -> None:
    malformed = client.post("/rooms", content=b"{", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "bad_request"
    wrong = client.post("/rooms", json={"name": "", "extra": 1})
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["fields"]) == {"name", "extra"}
    strict = client.post("/rooms", json={"name": 5})
    assert strict.status_code == 422
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
