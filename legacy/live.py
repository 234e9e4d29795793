"""Live room updates: `WS /ws/rooms/{room_id}?token=` and the in-process broadcast.

LEGACY: the sockets of a room live in a dict in this process's memory, so an event
posted to one uvicorn worker never reaches the clients connected to another one. The
rewrite fans out through Redis pub/sub; this is the limitation it removes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from fastapi import APIRouter, WebSocket

from legacy.db import Doc, message_json, user_for_token

router = APIRouter()
logger = logging.getLogger(__name__)

# LEGACY: module-level mutable state; one process only.
_sockets: dict[str, set[WebSocket]] = defaultdict(set)


async def broadcast(event_type: str, message: Doc, **extra: Any) -> None:
    """Send `{type, room_id, message, ...extra}` to every socket of the message's room."""
    room_id = str(message["room_id"])
    event = {"type": event_type, "room_id": room_id, "message": message_json(message), **extra}
    # LEGACY: sent one socket after another inside the HTTP request that caused the
    # event, so one slow listener delays the poster's reply.
    for socket in list(_sockets.get(room_id, ())):
        try:
            await socket.send_json(event)
        except Exception:  # a socket that went away mid-send is simply dropped
            _sockets[room_id].discard(socket)


@router.websocket("/ws/rooms/{room_id}")
async def room_socket(websocket: WebSocket, room_id: str) -> None:
    db = websocket.app.state.db
    user = user_for_token(db, websocket.query_params.get("token"))
    try:
        room = db.rooms.find_one({"_id": ObjectId(room_id)}) if user is not None else None
    except InvalidId:
        room = None
    if user is None or room is None:
        # Closing before accept makes the server refuse the handshake with HTTP 403.
        await websocket.close(code=1008)
        return
    await websocket.accept()
    _sockets[room_id].add(websocket)
    try:
        # Clients only listen; anything they send is read and ignored.
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        _sockets[room_id].discard(websocket)
        if not _sockets[room_id]:
            _sockets.pop(room_id, None)
