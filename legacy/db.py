"""The legacy app's shared plumbing: the pymongo client, JSON shapes, passwords, auth.

Everything here is what every handler needs to speak the wire contract
(docs/wire-contract.md) byte for byte: the timestamp format, the object shapes, the
error envelope and the token lookup. The business logic itself stays inline in the
route handlers, on purpose (that is the "before" of the case study).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
from fastapi import Request
from fastapi.responses import JSONResponse
from pymongo.database import Database

Doc = dict[str, Any]

DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017/social"
DEFAULT_DATABASE = "social"
PASSWORD_ITERATIONS = 100_000
SESSION_LIFETIME = timedelta(days=30)


def connect() -> tuple[pymongo.MongoClient[Doc], Database[Doc]]:
    """Open the client named by MONGODB_URI; the database is the URI's path (`social`)."""
    uri = os.environ.get("MONGODB_URI", DEFAULT_MONGODB_URI)
    client: pymongo.MongoClient[Doc] = pymongo.MongoClient(uri, tz_aware=True)
    db = client.get_default_database(DEFAULT_DATABASE)
    # Correctness beats style: these two unique indexes exist even in legacy, because
    # without them two registrations race to the same username. No other index: the
    # missing ones are the case study's slowness.
    db.users.create_index("username", unique=True)
    db.sessions.create_index("token", unique=True)
    return client, db


def get_db(request: Request) -> Database[Doc]:
    return request.app.state.db  # type: ignore[no-any-return]


def now() -> datetime:
    """The current UTC time truncated to milliseconds, as BSON stores it."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime | None) -> str | None:
    """`2026-11-28T06:26:35.123Z`, or None."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def user_json(user: Doc) -> Doc:
    """The public user object: never the password hash."""
    return {
        "id": str(user["_id"]),
        "username": user["username"],
        "display_name": user.get("display_name"),
        "bio": user.get("bio"),
        "avatar_url": user.get("avatar_url"),
        "created_at": iso(user.get("created_at")),
        "last_seen_at": iso(user.get("last_seen_at")),
    }


def room_json(room: Doc) -> Doc:
    return {
        "id": str(room["_id"]),
        "name": room["name"],
        "topic": room.get("topic"),
        "owner_id": str(room["owner_id"]),
        "member_ids": [str(member_id) for member_id in room.get("member_ids", [])],
        "created_at": iso(room.get("created_at")),
        "last_message_at": iso(room.get("last_message_at")),
    }


def message_json(message: Doc) -> Doc:
    return {
        "id": str(message["_id"]),
        "room_id": str(message["room_id"]),
        "author_id": str(message["author_id"]),
        "text": "" if message.get("deleted") else message.get("text", ""),
        "created_at": iso(message.get("created_at")),
        "edited_at": iso(message.get("edited_at")),
        "deleted": bool(message.get("deleted", False)),
        "reactions": {emoji: list(ids) for emoji, ids in (message.get("reactions") or {}).items()},
    }


def error(status: int, code: str, message: str) -> JSONResponse:
    """The contract's error envelope: `{"error": {"code", "message"}}`."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def unauthorized() -> JSONResponse:
    return error(401, "unauthorized", "a valid bearer token is required")


def not_found(what: str) -> JSONResponse:
    return error(404, "not_found", f"{what} not found")


def hash_password(password: str, iterations: int = PASSWORD_ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Check against `pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`, any iteration count."""
    try:
        scheme, iterations, salt, expected = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iterations)
    )
    return hmac.compare_digest(digest.hex(), expected)


def new_session(db: Database[Doc], user_id: Any) -> str:
    token = secrets.token_urlsafe(32)
    created = now()
    db.sessions.insert_one(
        {
            "token": token,
            "user_id": user_id,
            "created_at": created,
            "expires_at": created + SESSION_LIFETIME,
        }
    )
    return token


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def user_for_token(db: Database[Doc], token: str | None) -> Doc | None:
    """The user a live session token belongs to, or None (unknown, expired, user gone)."""
    if not token:
        return None
    session = db.sessions.find_one({"token": token})
    if session is None or session["expires_at"] <= datetime.now(UTC):
        return None
    return db.users.find_one({"_id": session["user_id"]})


def current_user(request: Request) -> Doc | None:
    """The caller, from `Authorization: Bearer <token>`; None means answer 401."""
    # LEGACY: two blocking round trips (session, then user) on the event loop per request.
    return user_for_token(get_db(request), bearer_token(request))
