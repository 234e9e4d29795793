"""Edit, soft-delete and react to a message (endpoints 15–17).

A deleted (or unknown) message answers 404 before the author check answers 403.
"""

from __future__ import annotations

from bson import ObjectId
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from legacy.db import current_user, error, get_db, message_json, not_found, now, unauthorized
from legacy.live import broadcast

router = APIRouter()


@router.patch("/api/messages/{message_id}")
async def edit_message(request: Request, message_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    db = get_db(request)
    message = db.messages.find_one({"_id": ObjectId(message_id)})
    if message is None or message.get("deleted"):
        return not_found("message")
    if message["author_id"] != user["_id"]:
        return error(403, "forbidden", "only the author may edit this message")
    body = await request.json()
    message["text"] = body["text"]
    message["edited_at"] = now()
    db.messages.update_one(
        {"_id": message["_id"]},
        {"$set": {"text": message["text"], "edited_at": message["edited_at"]}},
    )
    await broadcast("message.edited", message)
    return JSONResponse(message_json(message))


@router.delete("/api/messages/{message_id}")
async def delete_message(request: Request, message_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    db = get_db(request)
    message = db.messages.find_one({"_id": ObjectId(message_id)})
    if message is None or message.get("deleted"):
        return not_found("message")
    if message["author_id"] != user["_id"]:
        return error(403, "forbidden", "only the author may delete this message")
    # Soft delete: the message keeps its place in lists and counts, with empty text.
    message.update(deleted=True, text="")
    db.messages.update_one({"_id": message["_id"]}, {"$set": {"deleted": True, "text": ""}})
    await broadcast("message.deleted", message)
    return Response(status_code=204)


@router.post("/api/messages/{message_id}/reactions")
async def toggle_reaction(request: Request, message_id: str) -> Response:
    # LEGACY: copied preamble (authenticate, look up, 401/404), see legacy/__init__.py.
    user = current_user(request)
    if user is None:
        return unauthorized()
    db = get_db(request)
    message = db.messages.find_one({"_id": ObjectId(message_id)})
    if message is None or message.get("deleted"):
        return not_found("message")
    body = await request.json()
    emoji, user_id = body["emoji"], str(user["_id"])
    # LEGACY: read-modify-write of the whole map; concurrent toggles lose updates.
    reactions = message.get("reactions") or {}
    voters = reactions.get(emoji, [])
    if user_id in voters:
        voters.remove(user_id)
    else:
        voters.append(user_id)
    if voters:
        reactions[emoji] = voters
    else:
        reactions.pop(emoji, None)
    message["reactions"] = reactions
    db.messages.update_one({"_id": message["_id"]}, {"$set": {"reactions": reactions}})
    await broadcast("reaction.toggled", message, user_id=user_id, emoji=emoji)
    return JSONResponse(message_json(message))
