"""Users: list, show, update me, a user's rooms (endpoints 4–7)."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from pymongo.database import Database

from tests.integration.legacy.helpers import Doc, LegacyApi, assert_error, unique_name

MISSING_ID = str(ObjectId())


def test_list_users_is_every_user_in_username_order(api: LegacyApi) -> None:
    stem = unique_name("list")
    # Code-point order: upper case sorts before lower case, "_" between them.
    names = [f"{stem}_b", f"{stem}_B", f"{stem}_a", f"{stem}a"]
    accounts = {name: api.register(name) for name in names}
    users = api.get("/api/users", headers=accounts[names[0]].headers).json()
    usernames = [user["username"] for user in users]
    assert usernames == sorted(usernames)
    assert [u for u in usernames if u.startswith(stem)] == sorted(names)
    assert all("password_hash" not in user for user in users)
    assert users[usernames.index(names[1])] == accounts[names[1]].user


def test_get_user_and_404(api: LegacyApi) -> None:
    me, other = api.register(), api.register()
    assert api.get(f"/api/users/{other.id}", headers=me.headers).json() == other.user
    assert_error(api.get(f"/api/users/{MISSING_ID}", headers=me.headers), 404, "not_found")


def test_patch_me_changes_only_the_keys_present(api: LegacyApi, db: Database[Doc]) -> None:
    me = api.register()
    response = api.patch("/api/users/me", json={"bio": "hello"}, headers=me.headers)
    assert response.status_code == 200
    assert response.json() == {**me.user, "bio": "hello"}

    changes = {"display_name": "New Name", "avatar_url": "https://example.org/a.png"}
    updated = api.patch("/api/users/me", json=changes, headers=me.headers).json()
    assert updated == {**me.user, "bio": "hello", **changes}

    cleared = api.patch("/api/users/me", json={"bio": None}, headers=me.headers).json()
    assert cleared["bio"] is None and cleared["display_name"] == "New Name"
    assert api.get(f"/api/users/{me.id}", headers=me.headers).json() == cleared
    stored = db.users.find_one({"_id": ObjectId(me.id)})
    assert stored is not None and stored["bio"] is None

    unchanged = api.patch("/api/users/me", json={}, headers=me.headers).json()
    assert unchanged == cleared


def test_user_rooms_are_the_rooms_they_belong_to_in_rooms_order(
    api: LegacyApi, db: Database[Doc]
) -> None:
    me, other = api.register(), api.register()
    quiet = api.make_room(me)  # never gets a message: last
    rooms = [api.make_room(me) for _ in range(3)]
    not_mine = api.make_room(other)
    # Two rooms share a last_message_at: the smaller id comes first.
    same = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    older = datetime(2025, 1, 1, tzinfo=UTC)
    for room, moment in zip(rooms, (same, same, older), strict=True):
        db.rooms.update_one({"_id": ObjectId(room["id"])}, {"$set": {"last_message_at": moment}})
    first, second = sorted((rooms[0]["id"], rooms[1]["id"]))

    response = api.get(f"/api/users/{me.id}/rooms", headers=other.headers)
    assert response.status_code == 200
    listed = response.json()
    assert [room["id"] for room in listed] == [first, second, rooms[2]["id"], quiet["id"]]
    assert not_mine["id"] not in {room["id"] for room in listed}
    assert listed[0]["last_message_at"] == "2026-01-02T03:04:05.678Z"
    assert listed[-1] == quiet
    assert "members" not in listed[0]  # plain rooms


def test_user_rooms_of_an_unknown_user_is_404(api: LegacyApi) -> None:
    me = api.register()
    assert_error(api.get(f"/api/users/{MISSING_ID}/rooms", headers=me.headers), 404, "not_found")
