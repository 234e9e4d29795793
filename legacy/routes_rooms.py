"""Rooms and their messages (endpoints 8–14)."""

from __future__ import annotations

from bson import ObjectId
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pymongo.database import Database

from legacy.db import (
    Doc,
    current_user,
    error,
    get_db,
    message_json,
    not_found,
    now,
    room_json,
    unauthorized,
    user_json,
)
from legacy.live import broadcast
from legacy.orderings import by_created_at, by_last_message_desc, by_username

router = APIRouter()


def fetch_members(db: Database[Doc], room: Doc) -> list[Doc]:
    """The room's members as user objects, username order."""
    # LEGACY: N+1 — one query per member instead of one `$in` for the whole room.
    members = [db.users.find_one({"_id": member_id}) for member_id in room.get("member_ids", [])]
    return [user_json(user) for user in sorted(filter(None, members), key=by_username)]


def fetch_messages(db: Database[Doc], room_id: ObjectId) -> list[Doc]:
    """Every message of the room, oldest first."""
    # LEGACY: unbounded, and no index on room_id — each call scans all messages.
    return sorted(db.messages.find({"room_id": room_id}), key=by_created_at)


@router.get("/api/rooms")
async def list_rooms(request: Request) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    if current_user(request) is None:
        return unauthorized()
    db = get_db(request)
    rooms = []
    # LEGACY: unbounded, and per room one query per member plus one full-scan count.
    for room in sorted(db.rooms.find(), key=by_last_message_desc):
        rooms.append(
            {
                **room_json(room),
                "members": fetch_members(db, room),
                "message_count": db.messages.count_documents({"room_id": room["_id"]}),
            }
        )
    return JSONResponse(rooms)


@router.post("/api/rooms")
async def create_room(request: Request) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    body = await request.json()
    room = {
        "name": body["name"],
        "topic": body.get("topic"),
        "owner_id": user["_id"],
        "member_ids": [user["_id"]],
        "created_at": now(),
        "last_message_at": None,
    }
    room["_id"] = get_db(request).rooms.insert_one(room).inserted_id
    return JSONResponse(room_json(room), status_code=201)


@router.get("/api/rooms/{room_id}")
async def get_room(request: Request, room_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    if current_user(request) is None:
        return unauthorized()
    db = get_db(request)
    room = db.rooms.find_one({"_id": ObjectId(room_id)})
    if room is None:
        return not_found("room")
    messages = fetch_messages(db, room["_id"])
    return JSONResponse(
        {
            **room_json(room),
            "members": fetch_members(db, room),
            "messages": [message_json(message) for message in messages],
        }
    )


@router.post("/api/rooms/{room_id}/join")
async def join_room(request: Request, room_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    db = get_db(request)
    room = db.rooms.find_one({"_id": ObjectId(room_id)})
    if room is None:
        return not_found("room")
    if user["_id"] not in room["member_ids"]:
        # LEGACY: read-modify-write race; two joins at once may both push.
        room["member_ids"].append(user["_id"])
        db.rooms.update_one({"_id": room["_id"]}, {"$push": {"member_ids": user["_id"]}})
    return JSONResponse(room_json(room))


@router.post("/api/rooms/{room_id}/leave")
async def leave_room(request: Request, room_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    db = get_db(request)
    room = db.rooms.find_one({"_id": ObjectId(room_id)})
    if room is None:
        return not_found("room")
    if user["_id"] in room["member_ids"]:
        room["member_ids"] = [member for member in room["member_ids"] if member != user["_id"]]
        db.rooms.update_one({"_id": room["_id"]}, {"$pull": {"member_ids": user["_id"]}})
    return JSONResponse(room_json(room))


@router.get("/api/rooms/{room_id}/messages")
async def list_messages(request: Request, room_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    if current_user(request) is None:
        return unauthorized()
    db = get_db(request)
    room = db.rooms.find_one({"_id": ObjectId(room_id)})
    if room is None:
        return not_found("room")
    return JSONResponse([message_json(message) for message in fetch_messages(db, room["_id"])])


@router.post("/api/rooms/{room_id}/messages")
async def post_message(request: Request, room_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    db = get_db(request)
    room = db.rooms.find_one({"_id": ObjectId(room_id)})
    if room is None:
        return not_found("room")
    if user["_id"] not in room["member_ids"]:
        return error(403, "forbidden", "only members may post in this room")
    body = await request.json()
    message = {
        "room_id": room["_id"],
        "author_id": user["_id"],
        # LEGACY: stored as sent — no length limit, blanks and non-strings accepted.
        "text": body["text"],
        "created_at": now(),
        "edited_at": None,
        "deleted": False,
        "reactions": {},
    }
    message["_id"] = db.messages.insert_one(message).inserted_id
    # LEGACY: two writes with no transaction; a crash in between leaves the room stale.
    db.rooms.update_one({"_id": room["_id"]}, {"$set": {"last_message_at": message["created_at"]}})
    await broadcast("message.created", message)
    return JSONResponse(message_json(message), status_code=201)
