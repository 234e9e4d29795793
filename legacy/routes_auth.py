"""Register, log in, log out (endpoints 1–3)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pymongo.errors import DuplicateKeyError

from legacy.db import (
    bearer_token,
    current_user,
    error,
    get_db,
    hash_password,
    new_session,
    now,
    unauthorized,
    user_json,
    verify_password,
)

router = APIRouter()


@router.post("/api/auth/register")
async def register(request: Request) -> Response:
    # LEGACY: no validation; a missing key or a non-string ends in a 500.
    body = await request.json()
    db = get_db(request)
    created = now()
    user = {
        "username": body["username"],
        "display_name": body.get("display_name") or body["username"],
        "bio": None,
        "avatar_url": None,
        # LEGACY: 100k PBKDF2 rounds computed on the event loop, blocking every request.
        "password_hash": hash_password(body["password"]),
        "created_at": created,
        "last_seen_at": created,
    }
    try:
        user["_id"] = db.users.insert_one(user).inserted_id
    except DuplicateKeyError:
        return error(409, "conflict", f"username {body['username']!r} is taken")
    token = new_session(db, user["_id"])
    return JSONResponse({"user": user_json(user), "token": token}, status_code=201)


@router.post("/api/auth/login")
async def login(request: Request) -> Response:
    body = await request.json()
    db = get_db(request)
    user = db.users.find_one({"username": body["username"]})
    if user is None or not verify_password(body["password"], user.get("password_hash", "")):
        return error(401, "unauthorized", "wrong username or password")
    user["last_seen_at"] = now()
    db.users.update_one({"_id": user["_id"]}, {"$set": {"last_seen_at": user["last_seen_at"]}})
    token = new_session(db, user["_id"])
    return JSONResponse({"user": user_json(user), "token": token})


@router.post("/api/auth/logout")
async def logout(request: Request) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    if current_user(request) is None:
        return unauthorized()
    get_db(request).sessions.delete_one({"token": bearer_token(request)})
    return Response(status_code=204)
