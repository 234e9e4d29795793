"""Live room events over WebSocket.

Each process keeps a hub of its connected clients by room. Events reach the hub from
the Redis event bus (see modern.repositories.events), so a client connected to this
worker receives events posted through any worker.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from starlette.concurrency import run_in_threadpool

from modern.api.deps import Services
from modern.errors import DomainError, StorageError

log = logging.getLogger("modern.live")
router = APIRouter(tags=["live"])


class Hub:
    """The WebSocket clients of this process, by room id."""

    def __init__(self) -> None:
        self._rooms: defaultdict[str, set[WebSocket]] = defaultdict(set)

    def add(self, room_id: str, socket: WebSocket) -> None:
        self._rooms[room_id].add(socket)

    def discard(self, room_id: str, socket: WebSocket) -> None:
        sockets = self._rooms.get(room_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._rooms[room_id]

    def count(self, room_id: str) -> int:
        return len(self._rooms.get(room_id, ()))

    async def deliver(self, room_id: str, text: str) -> None:
        """Send one event to every client of the room; a dead client is dropped."""
        for socket in list(self._rooms.get(room_id, ())):
            try:
                await socket.send_text(text)
            except Exception:  # a closed or broken connection; its handler cleans up too
                self.discard(room_id, socket)


@router.websocket("/ws/rooms/{room_id}")
async def room_socket(websocket: WebSocket, room_id: str, token: str | None = None) -> None:
    """Refuses the handshake (HTTP 403) without a valid token or for an unknown room."""
    svc: Services = websocket.app.state.services
    hub: Hub = websocket.app.state.hub
    try:
        await run_in_threadpool(svc.auth.authenticate, token)
        await run_in_threadpool(svc.rooms.get, room_id)
    except (DomainError, StorageError) as exc:
        log.info("refused websocket for room %s: %s", room_id, exc)
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    hub.add(room_id, websocket)
    try:
        while True:  # clients only listen; reading detects the disconnect
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        hub.discard(room_id, websocket)
