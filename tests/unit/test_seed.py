"""The seed generator: deterministic, sized as asked, power-law rooms, valid schema."""

from __future__ import annotations

import hashlib
import hmac
import io
import statistics
from collections import Counter
from datetime import datetime, timedelta

import pymongo
import pytest
from bson import ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError

from strangler.cli import main
from strangler.seed import (
    PRESETS,
    SEED_PASSWORD,
    WINDOW_END,
    DatabaseNotEmptyError,
    Doc,
    Generator,
    Progress,
    SeedConfig,
    config_for,
    room_sizes,
    seed_database,
)

MEDIUM = SeedConfig(users=300, rooms=30, messages=4_000, seed=5, days=60)
SMALL = SeedConfig(users=12, rooms=3, messages=40, seed=3)


def _everything(config: SeedConfig) -> tuple[list[Doc], list[Doc], list[Doc]]:
    generator = Generator(config)
    messages = list(generator.messages())
    return generator.users, generator.rooms, messages


@pytest.fixture(scope="module")
def medium() -> tuple[list[Doc], list[Doc], list[Doc]]:
    return _everything(MEDIUM)


def test_the_same_seed_gives_the_same_data(
    medium: tuple[list[Doc], list[Doc], list[Doc]],
) -> None:
    assert _everything(MEDIUM) == medium
    other = _everything(SeedConfig(users=300, rooms=30, messages=4_000, seed=6, days=60))
    assert other[0][1]["_id"] != medium[0][1]["_id"]
    assert other[2][0]["text"] != medium[2][0]["text"] or other[2][1] != medium[2][1]


def test_sizes_are_respected(medium: tuple[list[Doc], list[Doc], list[Doc]]) -> None:
    users, rooms, messages = medium
    assert (len(users), len(rooms), len(messages)) == (300, 30, 4_000)
    for docs in medium:
        assert len({doc["_id"] for doc in docs}) == len(docs)
    assert len({user["username"] for user in users}) == 300
    assert users[0]["username"] == "demo"
    assert config_for("case-study", users=10, rooms=None) == SeedConfig(
        users=10, rooms=500, messages=200_000, days=730
    )


def test_room_sizes_follow_a_power_law() -> None:
    sizes = room_sizes(5_000, 500)
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == 2_000 and sizes[1] == 1_000 and sizes[9] == 200
    assert sizes[0] >= 100 * statistics.median(sizes)
    assert min(sizes) >= 2
    assert room_sizes(1, 2) == [1, 1]


def test_messages_follow_room_sizes(medium: tuple[list[Doc], list[Doc], list[Doc]]) -> None:
    _, rooms, messages = medium
    per_room = Counter(message["room_id"] for message in messages)
    busiest, quietest = per_room[rooms[0]["_id"]], per_room[rooms[-1]["_id"]]
    assert busiest > 5 * max(1, quietest)


def test_documents_match_the_storage_schema(
    medium: tuple[list[Doc], list[Doc], list[Doc]],
) -> None:
    users, rooms, messages = medium
    user_ids = {user["_id"] for user in users}
    for user in users:
        assert set(user) == {
            "_id", "username", "display_name", "bio", "avatar_url", "password_hash",
            "created_at", "last_seen_at",
        }  # fmt: skip
        assert user["created_at"].microsecond % 1000 == 0
        assert user["created_at"].tzinfo is not None
    assert any(user["last_seen_at"] is None for user in users)
    assert users[0]["last_seen_at"] is not None
    scheme, iterations, salt, digest = users[0]["password_hash"].split("$")
    computed = hashlib.pbkdf2_hmac("sha256", SEED_PASSWORD.encode(), bytes.fromhex(salt), 1000)
    assert (scheme, iterations) == ("pbkdf2_sha256", "1000")
    assert hmac.compare_digest(computed.hex(), digest)

    by_id = {room["_id"]: room for room in rooms}
    for room in rooms:
        assert set(room) == {
            "_id", "name", "topic", "owner_id", "member_ids", "created_at", "last_message_at"
        }  # fmt: skip
        assert room["owner_id"] == room["member_ids"][0]
        assert set(room["member_ids"]) <= user_ids
        assert len(set(room["member_ids"])) == len(room["member_ids"])
    assert all(users[0]["_id"] in room["member_ids"] for room in rooms[:3])

    latest: dict[ObjectId, datetime] = {}
    for message in messages:
        room = by_id[message["room_id"]]
        assert message["author_id"] in room["member_ids"]
        assert room["created_at"] <= message["created_at"] <= WINDOW_END
        assert message["created_at"].microsecond % 1000 == 0
        assert isinstance(message["deleted"], bool)
        if message["deleted"]:
            assert message["text"] == ""
        if message["edited_at"] is not None:
            assert message["created_at"] <= message["edited_at"] <= WINDOW_END
        for voters in message["reactions"].values():
            assert voters and all(isinstance(voter, str) for voter in voters)
            assert {ObjectId(voter) for voter in voters} <= set(room["member_ids"])
        stamp = message["created_at"]
        latest[room["_id"]] = max(latest.get(room["_id"], stamp), stamp)
    for room in rooms:
        assert room["last_message_at"] == latest.get(room["_id"])
    shares = Counter(
        "deleted" if m["deleted"] else "edited" if m["edited_at"] else "plain" for m in messages
    )
    assert 0 < shares["deleted"] < shares["edited"] < shares["plain"]
    assert 0.05 < sum(1 for m in messages if m["reactions"]) / len(messages) < 0.15


def test_the_case_study_window_is_two_years() -> None:
    generator = Generator(config_for("case-study", users=20, rooms=5, messages=300))
    assert generator.end - generator.start == timedelta(days=730)
    assert PRESETS["case-study"].messages == 200_000


@pytest.mark.parametrize(
    ("sizes", "problem"),
    [({"users": -1}, "negative"), ({"users": 0}, "one user"), ({"rooms": 0}, "one room")],
)
def test_impossible_sizes_are_refused(sizes: dict[str, int], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        SeedConfig(**sizes)


def test_progress_prints_tenths_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.start("messages", 1_000)
    for _ in range(40):
        progress.advance(25)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-1] == "seeding messages  [####################] 100% 1,000/1,000"


def test_seed_database_writes_everything_and_refuses_a_non_empty_db(mongo_uri: str) -> None:
    client: pymongo.MongoClient[Doc] = pymongo.MongoClient(mongo_uri, tz_aware=True)
    try:
        db = client.get_default_database()
        counts = seed_database(db, SMALL, progress=Progress(io.StringIO()), batch_size=7)
        assert counts == {"users": 12, "rooms": 3, "messages": 40}
        assert db.messages.count_documents({}) == 40
        users, rooms, _ = _everything(SMALL)
        assert db.users.find_one({"_id": users[3]["_id"]}) == users[3]
        assert db.rooms.find_one({"_id": rooms[0]["_id"]}) == rooms[0]
        with pytest.raises(DuplicateKeyError):
            db.users.insert_one({"username": "demo"})  # the unique index exists

        with pytest.raises(DatabaseNotEmptyError):
            seed_database(db, SMALL, progress=Progress(io.StringIO()))
        with pytest.raises(BulkWriteError):  # --force adds beside: same usernames clash
            seed_database(db, SMALL, force=True, progress=Progress(io.StringIO()))
        seed_database(db, SMALL, drop=True, progress=Progress(io.StringIO()))
        assert db.users.count_documents({}) == 12 and db.rooms.count_documents({}) == 3
    finally:
        client.close()


def test_the_seed_command(
    mongo_uri: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    sizes = ["--users", "8", "--rooms", "2", "--messages", "20", "--seed", "9"]
    assert main(["seed", *sizes]) == 0
    out, err = capsys.readouterr()
    assert "8 users, 2 rooms, 20 messages" in out and "password123" in out
    assert "seeding users" in err
    assert main(["seed", *sizes]) == 1
    assert "is not empty; use --drop" in capsys.readouterr().err
    assert main(["seed", "--drop", "--users", "0"]) == 1
    assert "at least one user" in capsys.readouterr().err
