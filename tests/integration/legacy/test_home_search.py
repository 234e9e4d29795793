"""The home page and search (endpoints 18–19)."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from pymongo.database import Database

from tests.integration.legacy.helpers import Doc, LegacyApi, unique_name


def test_home_page_contents_and_orderings(api: LegacyApi, db: Database[Doc]) -> None:
    me, friend, third = api.register(), api.register(), api.register()
    active, quiet = api.make_room(me), api.make_room(friend)
    api.post(f"/api/rooms/{quiet['id']}/join", headers=me.headers)
    older = api.post_message(me, active["id"], "first")
    newer = api.post_message(me, active["id"], "second")
    # Suggested rooms: two with three members, one with one; ties by id.
    big = [api.make_room(friend), api.make_room(third)]
    for room in big:
        for account in (friend, third):
            api.post(f"/api/rooms/{room['id']}/join", headers=account.headers)
        api.post(f"/api/rooms/{room['id']}/join", headers=api.register().headers)
    small = api.make_room(third)
    # Someone who never logged in (an imported account) sorts after everyone else.
    ghost = db.users.insert_one(
        {"username": unique_name("ghost"), "display_name": "Ghost", "bio": None,
         "avatar_url": None, "password_hash": "x", "created_at": datetime.now(UTC),
         "last_seen_at": None}
    ).inserted_id  # fmt: skip

    home = api.get("/api/home", headers=me.headers).json()
    assert set(home) == {"user", "rooms", "suggested_rooms", "recent_users"}
    assert home["user"] == me.user
    # My rooms in rooms order (recent message first, no messages last), all messages.
    assert [room["id"] for room in home["rooms"]] == [active["id"], quiet["id"]]
    assert home["rooms"][0]["latest_messages"] == [older, newer]
    assert home["rooms"][0]["last_message_at"] == newer["created_at"]
    assert home["rooms"][1]["latest_messages"] == []
    assert home["rooms"][1]["member_ids"] == [friend.id, me.id]

    suggested = [room["id"] for room in home["suggested_rooms"]]
    assert active["id"] not in suggested and quiet["id"] not in suggested
    mine = [room_id for room_id in suggested if room_id in {*(r["id"] for r in big), small["id"]}]
    assert mine == [*sorted(room["id"] for room in big), small["id"]]
    counts = [len(room["member_ids"]) for room in home["suggested_rooms"]]
    assert counts == sorted(counts, reverse=True)
    assert "latest_messages" not in home["suggested_rooms"][0]

    recent = home["recent_users"]
    assert me.id in {user["id"] for user in recent}  # the caller is included
    seen = [user["last_seen_at"] for user in recent if user["last_seen_at"] is not None]
    assert seen == sorted(seen, reverse=True)
    assert all(user["last_seen_at"] is None for user in recent[len(seen) :])
    assert str(ghost) in {user["id"] for user in recent[len(seen) :]}
    assert recent.index(next(u for u in recent if u["id"] == third.id)) < recent.index(
        next(u for u in recent if u["id"] == me.id)
    )  # registered later, seen later


def test_recent_users_ties_break_by_id(api: LegacyApi, db: Database[Doc]) -> None:
    accounts = [api.register() for _ in range(3)]
    moment = datetime(2099, 1, 1, tzinfo=UTC)  # newer than anyone else
    ids = [ObjectId(account.id) for account in accounts]
    db.users.update_many({"_id": {"$in": ids}}, {"$set": {"last_seen_at": moment}})
    recent = api.get("/api/home", headers=accounts[0].headers).json()["recent_users"]
    assert [user["id"] for user in recent[:3]] == sorted(str(i) for i in ids)


def test_search_is_a_literal_case_insensitive_substring(api: LegacyApi) -> None:
    token = unique_name("Srch")
    by_name = api.register(f"{token}_zed")
    by_display = api.register(unique_name(), display_name=f"The {token.upper()} person")
    me = api.register()
    named = api.make_room(me, f"{token} lounge")
    topical = api.make_room(me, "Another room", topic=f"all about {token.lower()}")
    api.make_room(me, "unrelated")

    found = api.get("/api/search", params={"q": token.lower()}, headers=me.headers).json()
    expected_users = sorted([by_name.user, by_display.user], key=lambda u: u["username"])
    assert found["users"] == expected_users
    assert found["rooms"] == [topical, named]  # name order: "Another…" < "Srch…"


def test_search_takes_regex_characters_literally(api: LegacyApi) -> None:
    me = api.register()
    token = unique_name("lit")
    dotted = api.make_room(me, f"{token} a.*b")
    api.make_room(me, f"{token} axxb")
    found = api.get("/api/search", params={"q": "A.*B"}, headers=me.headers).json()
    assert [room["id"] for room in found["rooms"]] == [dotted["id"]]
    assert found["users"] == []


def test_search_without_q_is_empty(api: LegacyApi) -> None:
    me = api.register()
    for params in ({}, {"q": ""}):
        response = api.get("/api/search", params=params, headers=me.headers)
        assert response.status_code == 200
        assert response.json() == {"users": [], "rooms": []}
