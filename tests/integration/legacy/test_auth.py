"""Register, login, logout, the 401 rule, health and the legacy 500 (endpoints 1–3, 21)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from pymongo.database import Database

from tests.integration.legacy.helpers import (
    PASSWORD,
    TIMESTAMP,
    Doc,
    LegacyApi,
    assert_error,
    unique_name,
)

USER_FIELDS = {"id", "username", "display_name", "bio", "avatar_url", "created_at", "last_seen_at"}
SOME_ID = "0123456789abcdef01234567"

PROTECTED = [
    ("POST", "/api/auth/logout"),
    ("GET", "/api/users"),
    ("GET", f"/api/users/{SOME_ID}"),
    ("PATCH", "/api/users/me"),
    ("GET", f"/api/users/{SOME_ID}/rooms"),
    ("GET", "/api/rooms"),
    ("POST", "/api/rooms"),
    ("GET", f"/api/rooms/{SOME_ID}"),
    ("POST", f"/api/rooms/{SOME_ID}/join"),
    ("POST", f"/api/rooms/{SOME_ID}/leave"),
    ("GET", f"/api/rooms/{SOME_ID}/messages"),
    ("POST", f"/api/rooms/{SOME_ID}/messages"),
    ("PATCH", f"/api/messages/{SOME_ID}"),
    ("DELETE", f"/api/messages/{SOME_ID}"),
    ("POST", f"/api/messages/{SOME_ID}/reactions"),
    ("GET", "/api/home"),
    ("GET", "/api/search?q=a"),
]


def test_register_returns_the_user_and_a_working_token(api: LegacyApi, db: Database[Doc]) -> None:
    username = unique_name()
    response = api.post("/api/auth/register", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    user = body["user"]
    assert set(user) == USER_FIELDS
    assert user["username"] == username
    assert user["display_name"] == username  # defaults to the username
    assert user["bio"] is None and user["avatar_url"] is None
    assert TIMESTAMP.match(user["created_at"])
    assert user["last_seen_at"] == user["created_at"]
    assert api.get(f"/api/users/{user['id']}", headers=_auth(body["token"])).json() == user

    stored = db.users.find_one({"_id": ObjectId(user["id"])})
    assert stored is not None
    scheme, iterations, salt, digest = stored["password_hash"].split("$")
    assert (scheme, iterations, len(salt), len(digest)) == ("pbkdf2_sha256", "100000", 32, 64)
    session = db.sessions.find_one({"token": body["token"]})
    assert session is not None and session["user_id"] == stored["_id"]
    lifetime = session["expires_at"] - session["created_at"]
    assert lifetime == timedelta(days=30)


def test_register_keeps_a_given_display_name(api: LegacyApi) -> None:
    account = api.register(display_name="Ada Lovelace")
    assert account.user["display_name"] == "Ada Lovelace"


def test_a_duplicate_username_is_a_409_conflict(api: LegacyApi) -> None:
    account = api.register()
    response = api.post(
        "/api/auth/register", json={"username": account.username, "password": "other"}
    )
    assert_error(response, 409, "conflict")
    # Usernames are case-sensitive: another case is another user.
    response = api.post(
        "/api/auth/register", json={"username": account.username.upper(), "password": PASSWORD}
    )
    assert response.status_code == 201


def test_login_opens_a_new_session_and_sets_last_seen_at(api: LegacyApi) -> None:
    account = api.register()
    response = api.login(account)
    assert response.status_code == 200
    body = response.json()
    assert body["token"] != account.token
    assert body["user"]["id"] == account.id
    assert body["user"]["last_seen_at"] >= account.user["last_seen_at"]
    assert body["user"]["created_at"] == account.user["created_at"]
    # Both sessions are valid, and the stored user shows the new last_seen_at.
    fetched = api.get(f"/api/users/{account.id}", headers=_auth(account.token)).json()
    assert fetched["last_seen_at"] == body["user"]["last_seen_at"]
    assert api.get("/api/users", headers=_auth(body["token"])).status_code == 200


@pytest.mark.parametrize("field", ["username", "password"])
def test_login_with_bad_credentials_is_401(api: LegacyApi, field: str) -> None:
    account = api.register()
    credentials = {"username": account.username, "password": PASSWORD, field: "wrong-value"}
    assert_error(api.post("/api/auth/login", json=credentials), 401, "unauthorized")


def test_logout_revokes_only_that_token(api: LegacyApi) -> None:
    account = api.register()
    second = api.login(account).json()["token"]
    response = api.post("/api/auth/logout", headers=account.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(api.get("/api/users", headers=account.headers), 401, "unauthorized")
    assert api.get("/api/users", headers=_auth(second)).status_code == 200


def test_an_expired_session_is_401(api: LegacyApi, db: Database[Doc]) -> None:
    account = api.register()
    past = datetime.now(UTC) - timedelta(seconds=1)
    db.sessions.update_one({"token": account.token}, {"$set": {"expires_at": past}})
    assert_error(api.get("/api/home", headers=account.headers), 401, "unauthorized")


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_but_auth_and_health_needs_a_token(
    api: LegacyApi, method: str, path: str
) -> None:
    assert_error(api.request(method, path), 401, "unauthorized")
    assert_error(api.request(method, path, headers=_auth("not-a-token")), 401, "unauthorized")


def test_healthz_and_openapi(api: LegacyApi) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    paths = api.get("/openapi.json").json()["paths"]
    assert "/api/rooms/{room_id}/messages" in paths
    assert set(paths["/api/messages/{message_id}"]) == {"patch", "delete"}


def test_malformed_input_is_a_plain_500_without_a_traceback(api: LegacyApi) -> None:
    """The deliberate legacy flaw: no validation. It must still not leak internals."""
    account = api.register()
    for response in (
        api.post("/api/auth/register", json={"password": PASSWORD}),
        api.get("/api/users/not-an-object-id", headers=account.headers),
    ):
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("text/plain")
        assert "Traceback" not in response.text and "File " not in response.text


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
