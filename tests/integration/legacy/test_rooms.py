"""Rooms, membership and posting (endpoints 8–14)."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from pymongo.database import Database

from tests.integration.legacy.helpers import TIMESTAMP, Doc, LegacyApi, assert_error

ROOM_FIELDS = {"id", "name", "topic", "owner_id", "member_ids", "created_at", "last_message_at"}
MESSAGE_FIELDS = {
    "id", "room_id", "author_id", "text", "created_at", "edited_at", "deleted", "reactions"
}  # fmt: skip
MISSING_ID = str(ObjectId())


def test_create_room_makes_the_caller_owner_and_member(api: LegacyApi) -> None:
    owner = api.register()
    response = api.post(
        "/api/rooms", json={"name": "Café", "topic": "beans"}, headers=owner.headers
    )
    assert response.status_code == 201
    room = response.json()
    assert set(room) == ROOM_FIELDS
    assert (room["name"], room["topic"], room["owner_id"]) == ("Café", "beans", owner.id)
    assert room["member_ids"] == [owner.id]
    assert TIMESTAMP.match(room["created_at"]) and room["last_message_at"] is None
    no_topic = api.post("/api/rooms", json={"name": "plain"}, headers=owner.headers).json()
    assert no_topic["topic"] is None


def test_join_and_leave(api: LegacyApi) -> None:
    owner, first, second = api.register(), api.register(), api.register()
    room = api.make_room(owner)
    url = f"/api/rooms/{room['id']}"
    joined = api.post(f"{url}/join", headers=first.headers)
    assert joined.status_code == 200
    assert joined.json() == {**room, "member_ids": [owner.id, first.id]}
    again = api.post(f"{url}/join", headers=first.headers).json()
    assert again["member_ids"] == [owner.id, first.id]  # unchanged
    # Join order is kept, not sorted.
    assert api.post(f"{url}/join", headers=second.headers).json()["member_ids"] == [
        owner.id, first.id, second.id
    ]  # fmt: skip

    left = api.post(f"{url}/leave", headers=owner.headers).json()
    assert left["member_ids"] == [first.id, second.id]
    assert left["owner_id"] == owner.id  # the owner may leave and stays owner
    outsider = api.post(f"{url}/leave", headers=owner.headers)
    assert outsider.status_code == 200 and outsider.json() == left
    for action in ("join", "leave"):
        missing = api.post(f"/api/rooms/{MISSING_ID}/{action}", headers=owner.headers)
        assert_error(missing, 404, "not_found")


def test_posting_is_for_members_only_and_sets_last_message_at(api: LegacyApi) -> None:
    owner, stranger = api.register(), api.register()
    room = api.make_room(owner)
    message = api.post_message(owner, room["id"], "hello")
    assert set(message) == MESSAGE_FIELDS
    assert (message["room_id"], message["author_id"], message["text"]) == (
        room["id"], owner.id, "hello"
    )  # fmt: skip
    assert message["edited_at"] is None and message["deleted"] is False
    assert message["reactions"] == {}
    assert TIMESTAMP.match(message["created_at"])

    refused = api.post(
        f"/api/rooms/{room['id']}/messages", json={"text": "hi"}, headers=stranger.headers
    )
    assert_error(refused, 403, "forbidden")
    missing = api.post(
        f"/api/rooms/{MISSING_ID}/messages", json={"text": "hi"}, headers=owner.headers
    )
    assert_error(missing, 404, "not_found")

    rooms = api.get(f"/api/users/{owner.id}/rooms", headers=owner.headers).json()
    assert rooms[0]["id"] == room["id"]
    assert rooms[0]["last_message_at"] == message["created_at"]


def test_messages_are_oldest_first_with_id_tie_break(api: LegacyApi, db: Database[Doc]) -> None:
    owner, reader = api.register(), api.register()
    room = api.make_room(owner)
    posted = [api.post_message(owner, room["id"], f"m{i}") for i in range(3)]
    # Move the first message last in time, and give two messages the same instant.
    late = datetime(2030, 1, 1, tzinfo=UTC)
    db.messages.update_many(
        {"_id": {"$in": [ObjectId(posted[0]["id"]), ObjectId(posted[2]["id"])]}},
        {"$set": {"created_at": late}},
    )
    tied = sorted((posted[0]["id"], posted[2]["id"]))
    response = api.get(f"/api/rooms/{room['id']}/messages", headers=reader.headers)
    assert response.status_code == 200  # any authenticated user may read any room
    assert [m["id"] for m in response.json()] == [posted[1]["id"], *tied]
    assert response.json()[0] == posted[1]
    assert_error(
        api.get(f"/api/rooms/{MISSING_ID}/messages", headers=reader.headers), 404, "not_found"
    )


def test_room_detail_has_members_and_all_messages(api: LegacyApi) -> None:
    owner, member = (
        api.register("zz_" + ObjectId().__str__()),
        api.register("aa_" + str(ObjectId())),
    )
    room = api.make_room(owner)
    api.post(f"/api/rooms/{room['id']}/join", headers=member.headers)
    messages = [
        api.post_message(owner, room["id"], "one"),
        api.post_message(member, room["id"], "two"),
    ]
    detail = api.get(f"/api/rooms/{room['id']}", headers=owner.headers).json()
    assert detail["members"] == [member.user, owner.user]  # username order
    assert detail["messages"] == messages
    assert detail["member_ids"] == [owner.id, member.id]  # join order
    assert detail["last_message_at"] == messages[-1]["created_at"]
    assert_error(api.get(f"/api/rooms/{MISSING_ID}", headers=owner.headers), 404, "not_found")


def test_list_rooms_has_members_and_message_counts(api: LegacyApi) -> None:
    owner, member = api.register("b_" + str(ObjectId())), api.register("a_" + str(ObjectId()))
    busy, quiet = api.make_room(owner), api.make_room(owner)
    api.post(f"/api/rooms/{busy['id']}/join", headers=member.headers)
    gone = api.post_message(owner, busy["id"], "to be deleted")
    api.post_message(member, busy["id"], "kept")
    assert api.delete(f"/api/messages/{gone['id']}", headers=owner.headers).status_code == 204

    rooms = api.get("/api/rooms", headers=member.headers).json()
    by_id = {room["id"]: room for room in rooms}
    assert by_id[busy["id"]]["members"] == [member.user, owner.user]
    assert by_id[busy["id"]]["message_count"] == 2  # the deleted message still counts
    assert by_id[quiet["id"]]["message_count"] == 0
    assert set(by_id[quiet["id"]]) == ROOM_FIELDS | {"members", "message_count"}
    # Rooms order: most recent message first, rooms without messages last.
    order = [room["id"] for room in rooms]
    assert order.index(busy["id"]) < order.index(quiet["id"])
    stamps = [room["last_message_at"] for room in rooms if room["last_message_at"]]
    assert stamps == sorted(stamps, reverse=True)
    assert all(room["last_message_at"] is None for room in rooms[len(stamps) :])
