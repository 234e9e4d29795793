"""Live room updates over the WebSocket (endpoint 20), with the `websockets` client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bson import ObjectId
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.integration.legacy.helpers import LegacyApi
from tests.support.servers import RunningServer

TIMEOUT = 10.0


def _event(socket: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(socket.recv(timeout=TIMEOUT))
    return event


def test_listeners_receive_every_event_of_their_room(legacy: RunningServer, api: LegacyApi) -> None:
    author, listener = api.register(), api.register()
    room, other_room = api.make_room(author), api.make_room(author)
    url = f"{legacy.ws_url}/ws/rooms/{room['id']}?token={listener.token}"
    # Any authenticated user may listen, member or not.
    with connect(url, open_timeout=TIMEOUT) as socket:
        api.post_message(author, other_room["id"], "elsewhere")  # another room: not delivered
        created = api.post_message(author, room["id"], "hello")
        assert _event(socket) == {
            "type": "message.created", "room_id": room["id"], "message": created
        }  # fmt: skip

        message_url = f"/api/messages/{created['id']}"
        edited = api.patch(message_url, json={"text": "hi"}, headers=author.headers).json()
        assert _event(socket) == {
            "type": "message.edited",
            "room_id": room["id"],
            "message": edited,
        }

        reacted = api.post(
            f"{message_url}/reactions", json={"emoji": "🔥"}, headers=listener.headers
        ).json()
        assert _event(socket) == {
            "type": "reaction.toggled", "room_id": room["id"], "message": reacted,
            "user_id": listener.id, "emoji": "🔥",
        }  # fmt: skip

        assert api.delete(message_url, headers=author.headers).status_code == 204
        deleted = _event(socket)
        assert deleted["type"] == "message.deleted"
        assert deleted["message"] == {**reacted, "text": "", "deleted": True}


@pytest.mark.parametrize("case", ["no token", "bad token", "unknown room", "malformed room"])
def test_the_handshake_is_refused_without_a_token_or_room(
    legacy: RunningServer, api: LegacyApi, case: str
) -> None:
    account = api.register()
    room_id = api.make_room(account)["id"]
    query = f"?token={account.token}"
    if case == "no token":
        query = ""
    elif case == "bad token":
        query = "?token=nope"
    elif case == "unknown room":
        room_id = str(ObjectId())
    else:
        room_id = "not-an-id"
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{legacy.ws_url}/ws/rooms/{room_id}{query}", open_timeout=TIMEOUT)
    assert refused.value.response.status_code == 403
