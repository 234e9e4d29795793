"""Endpoints 8–17 over real HTTP: rooms, history pagination edges, message writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pymongo
from bson import ObjectId

from tests.integration.modern.client import Api


def test_room_lifecycle(api: Api) -> None:
    owner, guest = api.register("owner"), api.register("guest")
    room = api.room(owner, "lifecycle", topic="t")
    assert room["member_ids"] == [owner.id] and room["last_message_at"] is None
    forbidden = api.http.post(
        f"/api/rooms/{room['id']}/messages", json={"text": "hi"}, headers=guest.headers
    )
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    api.join(guest, room["id"])
    api.join(guest, room["id"])
    message = api.post(guest, room["id"], "hello")
    detail = api.get(owner, f"/api/rooms/{room['id']}").json()
    assert detail["member_ids"] == [owner.id, guest.id]
    assert detail["last_message_at"] == message["created_at"]
    assert [m["id"] for m in detail["messages"]] == [message["id"]]
    assert sorted(u["username"] for u in detail["members"]) == [
        u["username"] for u in detail["members"]
    ]
    left = api.http.post(f"/api/rooms/{room['id']}/leave", headers=owner.headers).json()
    assert left["member_ids"] == [guest.id] and left["owner_id"] == owner.id
    listed = {r["id"]: r for r in api.get(owner, "/api/rooms", limit=100).json()}
    assert listed[room["id"]]["message_count"] == 1
    assert [u["id"] for u in listed[room["id"]]["members"]] == [guest.id]


def test_message_edit_delete_react(api: Api) -> None:
    author, other = api.register("author"), api.register("other")
    room = api.room(author, "edits")
    message = api.post(author, room["id"], "draft")
    path = f"/api/messages/{message['id']}"
    assert api.http.patch(path, json={"text": "x"}, headers=other.headers).status_code == 403
    edited = api.http.patch(path, json={"text": "final"}, headers=author.headers).json()
    assert edited["text"] == "final" and edited["edited_at"] is not None
    reacted = api.http.post(path + "/reactions", json={"emoji": "🎉"}, headers=other.headers)
    assert reacted.json()["reactions"] == {"🎉": [other.id]}
    assert api.http.delete(path, headers=other.headers).status_code == 403
    assert api.http.delete(path, headers=author.headers).status_code == 204
    history = api.get(author, f"/api/rooms/{room['id']}/messages").json()
    assert history[0]["deleted"] is True and history[0]["text"] == ""
    assert history[0]["reactions"] == {"🎉": [other.id]}
    for method, url, body in [
        ("PATCH", path, {"text": "again"}), ("DELETE", path, None),
        ("POST", path + "/reactions", {"emoji": "x"}),
    ]:  # fmt: skip
        assert api.http.request(method, url, json=body, headers=author.headers).status_code == 404
    room_after = api.get(author, f"/api/rooms/{room['id']}").json()
    assert room_after["last_message_at"] == message["created_at"]


def test_history_pagination_edges_with_same_millisecond_ties(api: Api, module_db: str) -> None:
    """Seven messages share one timestamp: pages must split the ties by id, no gaps, no repeats."""
    me = api.register("pager")
    room = api.room(me, "ties")
    api.post(me, room["id"], "before")
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(module_db, tz_aware=True)
    try:
        at = datetime(2030, 1, 1, tzinfo=UTC)
        client.get_default_database().messages.insert_many([
            {"_id": ObjectId(), "room_id": ObjectId(room["id"]), "author_id": ObjectId(me.id),
             "text": f"tie{i}", "created_at": at, "edited_at": None, "deleted": False,
             "reactions": {}}
            for i in range(7)
        ])  # fmt: skip
    finally:
        client.close()
    url = f"/api/rooms/{room['id']}/messages"
    whole = api.get(me, url, limit=100).json()
    assert whole[0]["text"] == "before" and len(whole) == 8
    keys = [(m["created_at"], m["id"]) for m in whole]
    assert keys == sorted(keys)
    pages, reply = [], api.get(me, url, limit=3)
    while True:
        pages.append([m["id"] for m in reply.json()])
        if "next" not in reply.links:
            break
        reply = api.http.get(reply.links["next"]["url"], headers=me.headers)
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [mid for page in reversed(pages) for mid in page] == [m["id"] for m in whole]
    detail = api.get(me, f"/api/rooms/{room['id']}", limit=2)
    assert [m["id"] for m in detail.json()["messages"]] == pages[0][1:]
    assert "cursor=" in detail.links["next"]["url"]


def test_bad_list_parameters(api: Api) -> None:
    me = api.register("params")
    room = api.room(me, "params")
    url = f"/api/rooms/{room['id']}/messages"
    for limit in ["0", "101", "-1", "ten"]:
        reply = api.get(me, url, limit=limit)
        assert reply.status_code == 422 and "limit" in reply.json()["error"]["fields"]
    reply = api.get(me, url, cursor="bm90IGEgY3Vyc29y")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_request"
    assert api.get(me, url, limit=100).status_code == 200
    assert api.get(me, "/api/rooms/nope/messages").status_code == 404
    assert api.get(me, "/api/rooms/" + "0" * 24).status_code == 404


def test_room_list_pages_in_activity_order(api: Api) -> None:
    me = api.register("lister")
    for i in range(3):
        api.post(me, api.room(me, f"active{i}")["id"], "hi")
    whole = api.get(me, "/api/rooms", limit=100).json()
    keys = [(r["last_message_at"] is None, r["last_message_at"] or "", r["id"]) for r in whole]
    # descending by time, nulls last, ties by id ascending
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    dated = [k for k in keys if not k[0]]
    assert dated == sorted(dated, key=lambda k: (-datetime.fromisoformat(k[1]).timestamp(), k[2]))
    seen, reply = [], api.get(me, "/api/rooms", limit=2)
    while True:
        seen += [r["id"] for r in reply.json()]
        if "next" not in reply.links:
            break
        reply = api.http.get(reply.links["next"]["url"], headers=me.headers)
    assert seen == [r["id"] for r in whole]
    counts = api.get(me, "/api/rooms", fields="id,message_count", limit=100).json()
    assert all(set(r) == {"id", "message_count"} for r in counts)
