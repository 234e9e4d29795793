"""Edit, soft delete and reactions (endpoints 15–17)."""

from __future__ import annotations

import pytest
from bson import ObjectId

from tests.integration.legacy.helpers import TIMESTAMP, Account, Doc, LegacyApi, assert_error

MISSING_ID = str(ObjectId())
Chat = tuple[Account, Account, Doc, Doc]


@pytest.fixture
def chat(api: LegacyApi) -> Chat:
    """An author, another member, their room and one message of the author's."""
    author, other = api.register(), api.register()
    room = api.make_room(author)
    api.post(f"/api/rooms/{room['id']}/join", headers=other.headers)
    return author, other, room, api.post_message(author, room["id"], "original")


def test_the_author_edits_a_message(api: LegacyApi, chat: Chat) -> None:
    author, other, room, message = chat
    response = api.patch(
        f"/api/messages/{message['id']}", json={"text": "changed"}, headers=author.headers
    )
    assert response.status_code == 200
    edited = response.json()
    assert edited == {**message, "text": "changed", "edited_at": edited["edited_at"]}
    assert TIMESTAMP.match(edited["edited_at"]) and edited["edited_at"] >= message["created_at"]
    listed = api.get(f"/api/rooms/{room['id']}/messages", headers=other.headers).json()
    assert listed == [edited]
    # Editing does not move the room's last_message_at.
    detail = api.get(f"/api/rooms/{room['id']}", headers=other.headers).json()
    assert detail["last_message_at"] == message["created_at"]


def test_only_the_author_edits_or_deletes(api: LegacyApi, chat: Chat) -> None:
    _, other, _, message = chat
    url = f"/api/messages/{message['id']}"
    assert_error(api.patch(url, json={"text": "x"}, headers=other.headers), 403, "forbidden")
    assert_error(api.delete(url, headers=other.headers), 403, "forbidden")
    for response in (
        api.patch(f"/api/messages/{MISSING_ID}", json={"text": "x"}, headers=other.headers),
        api.delete(f"/api/messages/{MISSING_ID}", headers=other.headers),
        api.post(
            f"/api/messages/{MISSING_ID}/reactions", json={"emoji": "x"}, headers=other.headers
        ),
    ):
        assert_error(response, 404, "not_found")


def test_soft_delete_keeps_the_message_in_lists(api: LegacyApi, chat: Chat) -> None:
    author, other, room, message = chat
    url = f"/api/messages/{message['id']}"
    api.post(f"{url}/reactions", json={"emoji": "👍"}, headers=other.headers)
    later = api.post_message(other, room["id"], "after")
    response = api.delete(url, headers=author.headers)
    assert response.status_code == 204 and response.content == b""

    listed = api.get(f"/api/rooms/{room['id']}/messages", headers=author.headers).json()
    assert [m["id"] for m in listed] == [message["id"], later["id"]]
    assert listed[0] == {**message, "text": "", "deleted": True, "reactions": {"👍": [other.id]}}
    # A deleted message cannot be edited, deleted again or reacted to.
    assert_error(api.patch(url, json={"text": "x"}, headers=author.headers), 404, "not_found")
    assert_error(api.delete(url, headers=author.headers), 404, "not_found")
    react = api.post(f"{url}/reactions", json={"emoji": "👍"}, headers=other.headers)
    assert_error(react, 404, "not_found")
    # Deleting does not move the room's last_message_at.
    detail = api.get(f"/api/rooms/{room['id']}", headers=author.headers).json()
    assert detail["last_message_at"] == later["created_at"]


def test_reactions_toggle_on_and_off(api: LegacyApi, chat: Chat) -> None:
    author, other, room, message = chat
    outsider = api.register()  # any authenticated user may react, member or not
    url = f"/api/messages/{message['id']}/reactions"

    def toggle(account: Account, emoji: str) -> dict[str, list[str]]:
        response = api.post(url, json={"emoji": emoji}, headers=account.headers)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == message["id"]
        reactions: dict[str, list[str]] = response.json()["reactions"]
        return reactions

    assert toggle(other, "🎉") == {"🎉": [other.id]}
    assert toggle(outsider, "🎉") == {"🎉": [other.id, outsider.id]}  # toggle order
    assert toggle(author, "👀") == {"🎉": [other.id, outsider.id], "👀": [author.id]}
    assert toggle(other, "🎉") == {"🎉": [outsider.id], "👀": [author.id]}
    assert toggle(author, "👀") == {"🎉": [outsider.id]}  # an emptied emoji disappears
    listed = api.get(f"/api/rooms/{room['id']}/messages", headers=author.headers).json()
    assert listed[0]["reactions"] == {"🎉": [outsider.id]}
    assert listed[0]["edited_at"] is None  # reacting is not editing
