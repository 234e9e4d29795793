"""Users: list, show, update me, a user's rooms (endpoints 4–7)."""

from __future__ import annotations

from bson import ObjectId
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from legacy.db import current_user, get_db, not_found, room_json, unauthorized, user_json
from legacy.orderings import by_last_message_desc, by_username

router = APIRouter()

EDITABLE_FIELDS = ("display_name", "bio", "avatar_url")


@router.get("/api/users")
async def list_users(request: Request) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    if current_user(request) is None:
        return unauthorized()
    # LEGACY: unbounded — every user, password hashes included, shipped from the database.
    users = sorted(get_db(request).users.find(), key=by_username)
    return JSONResponse([user_json(user) for user in users])


# Declared before `/api/users/{user_id}` so that `me` is never taken for an id.
@router.patch("/api/users/me")
async def update_me(request: Request) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    # LEGACY: no validation; whatever JSON value arrives is stored (a list, a number…).
    body = await request.json()
    changes = {key: body[key] for key in EDITABLE_FIELDS if key in body}
    if changes:
        get_db(request).users.update_one({"_id": user["_id"]}, {"$set": changes})
        user.update(changes)
    return JSONResponse(user_json(user))


@router.get("/api/users/{user_id}")
async def get_user(request: Request, user_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    if current_user(request) is None:
        return unauthorized()
    # LEGACY: a malformed id raises InvalidId, which ends in a 500.
    user = get_db(request).users.find_one({"_id": ObjectId(user_id)})
    if user is None:
        return not_found("user")
    return JSONResponse(user_json(user))


@router.get("/api/users/{user_id}/rooms")
async def user_rooms(request: Request, user_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    if current_user(request) is None:
        return unauthorized()
    db = get_db(request)
    user = db.users.find_one({"_id": ObjectId(user_id)})
    if user is None:
        return not_found("user")
    # LEGACY: no index on member_ids — a full scan of rooms, then an in-memory sort.
    rooms = sorted(db.rooms.find({"member_ids": user["_id"]}), key=by_last_message_desc)
    return JSONResponse([room_json(room) for room in rooms])
