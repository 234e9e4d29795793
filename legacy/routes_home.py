"""The home page and search (endpoints 18–19): the slowest pages of the legacy app."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from legacy import orderings
from legacy.db import current_user, get_db, message_json, room_json, unauthorized, user_json

router = APIRouter()


@router.get("/api/home")
async def home(request: Request) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    db = get_db(request)
    # LEGACY: the >10 s page. Every room is loaded to split mine from the others,
    # every message of each of my rooms is loaded (one full scan of messages per
    # room: no index on room_id), and every user is shipped for "recent users".
    all_rooms = list(db.rooms.find())
    my_rooms = sorted(
        (room for room in all_rooms if user["_id"] in room.get("member_ids", [])),
        key=orderings.by_last_message_desc,
    )
    other_rooms = sorted(
        (room for room in all_rooms if user["_id"] not in room.get("member_ids", [])),
        key=orderings.by_member_count_desc,
    )
    rooms = []
    for room in my_rooms:
        # LEGACY: N+1 — one unindexed query per room, each returning all its messages.
        messages = sorted(db.messages.find({"room_id": room["_id"]}), key=orderings.by_created_at)
        rooms.append({**room_json(room), "latest_messages": [message_json(m) for m in messages]})
    recent_users = sorted(db.users.find(), key=orderings.by_last_seen_desc)
    return JSONResponse(
        {
            "user": user_json(user),
            "rooms": rooms,
            "suggested_rooms": [room_json(room) for room in other_rooms],
            "recent_users": [user_json(u) for u in recent_users],
        }
    )


@router.get("/api/search")
async def search(request: Request) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    if current_user(request) is None:
        return unauthorized()
    q = request.query_params.get("q", "")
    if not q:
        return JSONResponse({"users": [], "rooms": []})
    db = get_db(request)
    # Taken literally: `.*` searches for a dot and a star, not for everything.
    pattern = {"$regex": re.escape(q), "$options": "i"}
    # LEGACY: unanchored case-insensitive regexes cannot use an index: full scans.
    users = db.users.find({"$or": [{"username": pattern}, {"display_name": pattern}]})
    rooms = db.rooms.find({"$or": [{"name": pattern}, {"topic": pattern}]})
    return JSONResponse(
        {
            "users": [user_json(u) for u in sorted(users, key=orderings.by_username)],
            "rooms": [room_json(r) for r in sorted(rooms, key=orderings.by_name)],
        }
    )
