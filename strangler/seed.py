"""Deterministic demo data for the social app, written straight into MongoDB.

The generator draws everything, ObjectIds included, from one `random.Random(seed)`
and a fixed time window, so a seed always yields the same documents. It writes the
storage schema of docs/wire-contract.md with `insert_many` in batches, because the embedded
server inserts single documents slowly (about 600 a second).

Shape of the data: room sizes follow a power law (room k has about `largest / k`
members), messages go to rooms in proportion to their size, authors are members,
about 10% of messages carry reactions, 3% were edited and 1% deleted; 5% of users
never logged in (`last_seen_at` null).

Every seeded user's password is `password123` (SEED_PASSWORD), hashed with only
1,000 PBKDF2 rounds for speed; the first user is `demo`.
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import accumulate, islice
from typing import Any, TextIO

from bson import ObjectId
from pymongo.database import Database

Doc = dict[str, Any]

SEED_PASSWORD = "password123"
SEED_PASSWORD_ITERATIONS = 1_000
DEFAULT_BATCH_SIZE = 1_000
COLLECTIONS = ("users", "sessions", "rooms", "messages")
# A fixed end of the time window keeps the output independent of when it runs.
WINDOW_END = datetime(2026, 11, 1, tzinfo=UTC)
LARGEST_ROOM_SHARE = 0.4  # the biggest room holds this share of all users

_FIRST = "ada alan barbara claude donald edsger frances grace ivan john katherine ken "
_FIRST += "leslie linus margaret niklaus radia robin shafi tim tony ursula vint yukihiro"
_LAST = "hopper turing liskov knuth dijkstra allen kay backus hamilton wirth perlman "
_LAST += "milner goldwasser lamport thompson ritchie shannon floyd hoare cerf matsumoto"
_WORDS = (  # split at start-up, like the name lists
    "the a to and of in is it you that we for on this with be are have not so just "
    "deploy release cache query index latency proxy route shadow canary rollback "
    "lunch coffee weekend meeting review ticket bug fix test green red ship today "
    "tomorrow later maybe great thanks sure why how what works broken slow fast"
)
_ROOM_WORDS = "general random backend frontend ops data design release coffee music books"
_EMOJIS = ["👍", "❤️", "😂", "🎉", "👀", "🚀", "🔥", "✅"]


@dataclass(frozen=True, kw_only=True)
class SeedConfig:
    """How much to generate.

    Parameters:
        users, rooms, messages: how many documents of each.
        seed: the random seed; the same seed gives the same data.
        days: length of the time window ending at WINDOW_END.
    """

    users: int = 50
    rooms: int = 10
    messages: int = 1_000
    seed: int = 1
    days: int = 30

    def __post_init__(self) -> None:
        if min(self.users, self.rooms, self.messages, self.days) < 0:
            raise ValueError("sizes and days must not be negative")
        if self.rooms and not self.users:
            raise ValueError("rooms need at least one user")
        if self.messages and not self.rooms:
            raise ValueError("messages need at least one room")


PRESETS = {
    "demo": SeedConfig(),
    "case-study": SeedConfig(users=5_000, rooms=500, messages=200_000, days=730),
}


class DatabaseNotEmptyError(RuntimeError):
    """The target database already holds social-app data."""


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def room_sizes(users: int, rooms: int) -> list[int]:
    """Power-law member counts: room k (from 1) has about `largest / k`, at least 2."""
    floor = min(2, users)
    largest = max(floor, round(users * LARGEST_ROOM_SHARE))
    return [max(floor, round(largest / rank)) for rank in range(1, rooms + 1)]


class Generator:
    """Draws users, then rooms, then messages from one random stream, in that order.

    Messages are produced lazily (200,000 of them do not fit comfortably in memory as
    dicts) and fill in each room's `last_message_at` as they go: insert the rooms
    after the messages have been consumed.
    """

    def __init__(self, config: SeedConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.words = _WORDS.split()
        self.end = WINDOW_END
        self.start = WINDOW_END - timedelta(days=config.days)
        self.users = self._users()
        self.rooms = self._rooms()

    def _id(self, moment: datetime) -> ObjectId:
        return ObjectId(int(moment.timestamp()).to_bytes(4, "big") + self.rng.randbytes(8))

    def _between(self, start: datetime, end: datetime) -> datetime:
        return _ms(start + (end - start) * self.rng.random())

    def _sentence(self, low: int, high: int) -> str:
        words = self.rng.choices(self.words, k=self.rng.randint(low, high))
        return " ".join(words).capitalize()

    def _users(self) -> list[Doc]:
        first, last, rng = _FIRST.split(), _LAST.split(), self.rng
        users = []
        for index in range(self.config.users):
            given, family = rng.choice(first), rng.choice(last)
            username = "demo" if index == 0 else f"{given}_{family}{index}"
            created = self._between(self.start - timedelta(days=365), self.start)
            salt = rng.randbytes(16)
            digest = hashlib.pbkdf2_hmac(
                "sha256", SEED_PASSWORD.encode(), salt, SEED_PASSWORD_ITERATIONS
            )
            users.append(
                {
                    "_id": self._id(created),
                    "username": username,
                    "display_name": "Demo User" if index == 0 else f"{given} {family}".title(),
                    "bio": self._sentence(4, 12) if rng.random() < 0.6 else None,
                    "avatar_url": f"https://avatars.example.org/{username}.png"
                    if rng.random() < 0.5
                    else None,
                    "password_hash": f"pbkdf2_sha256${SEED_PASSWORD_ITERATIONS}"
                    f"${salt.hex()}${digest.hex()}",
                    "created_at": created,
                    "last_seen_at": None
                    if index and rng.random() < 0.05
                    else self._between(self.start, self.end),
                }
            )
        return users

    def _rooms(self) -> list[Doc]:
        rooms, rng, words = [], self.rng, _ROOM_WORDS.split()
        for rank, size in enumerate(room_sizes(self.config.users, self.config.rooms)):
            members = rng.sample(self.users, size)
            if rank < 3 and self.users[0] not in members:
                members[-1] = self.users[0]  # the demo user belongs to the busiest rooms
            created = self._between(self.start, self.start + (self.end - self.start) / 4)
            rooms.append(
                {
                    "_id": self._id(created),
                    "name": f"{rng.choice(words)}-{rng.choice(words)}-{rank + 1}",
                    "topic": self._sentence(3, 8) if rng.random() < 0.7 else None,
                    "owner_id": members[0]["_id"],
                    "member_ids": [member["_id"] for member in members],
                    "created_at": created,
                    "last_message_at": None,
                }
            )
        return rooms

    def messages(self) -> Iterator[Doc]:
        rng = self.rng
        weights = list(accumulate(len(room["member_ids"]) for room in self.rooms))
        targets = rng.choices(self.rooms, cum_weights=weights, k=self.config.messages)
        for room in targets:
            created = self._between(room["created_at"], self.end)
            message: Doc = {
                "_id": self._id(created),
                "room_id": room["_id"],
                "author_id": rng.choice(room["member_ids"]),
                "text": self._sentence(2, 20),
                "created_at": created,
                "edited_at": None,
                "deleted": False,
                "reactions": {},
            }
            roll = rng.random()
            if roll < 0.01:
                message.update(deleted=True, text="")
            elif roll < 0.04:
                edited = created + timedelta(minutes=rng.uniform(1, 2880))
                message.update(text=self._sentence(2, 20), edited_at=_ms(min(edited, self.end)))
            if rng.random() < 0.10:
                for emoji in rng.sample(_EMOJIS, rng.randint(1, 3)):
                    members = room["member_ids"]
                    voters = rng.sample(members, min(len(members), rng.randint(1, 5)))
                    message["reactions"][emoji] = [str(voter) for voter in voters]
            last = room["last_message_at"]
            room["last_message_at"] = created if last is None else max(last, created)
            yield message


class Progress:
    """A plain-text progress bar on stderr; one line per 10% when not a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.label, self.total, self.done, self._shown = "", 0, 0, -1

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self._shown = label, total, 0, -1
        self.advance(0)

    def advance(self, count: int) -> None:
        self.done += count
        percent = 100 if self.total == 0 else self.done * 100 // self.total
        if not self.tty and percent // 10 == self._shown // 10 and percent != 100:
            return
        if percent == self._shown:
            return
        self._shown = percent
        bar = "#" * (percent // 5) + "-" * (20 - percent // 5)
        line = f"seeding {self.label:<9} [{bar}] {percent:3d}% {self.done:,}/{self.total:,}"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and percent == 100:
            self.stream.write("\n")
        self.stream.flush()


def ensure_indexes(db: Database[Doc]) -> None:
    """The two unique indexes the contract requires, even in legacy."""
    db.users.create_index("username", unique=True)
    db.sessions.create_index("token", unique=True)


def is_empty(db: Database[Doc]) -> bool:
    # find_one, not a count: counting scans the collection on the embedded server.
    return all(db[name].find_one({}, {"_id": 1}) is None for name in COLLECTIONS)


def _insert(
    db: Database[Doc], name: str, docs: Iterator[Doc], total: int, progress: Progress, size: int
) -> None:
    progress.start(name, total)
    while batch := list(islice(docs, size)):
        db[name].insert_many(batch, ordered=False)
        progress.advance(len(batch))


def seed_database(
    db: Database[Doc],
    config: SeedConfig,
    *,
    drop: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> dict[str, int]:
    """Write a generated data set; returns the number of documents per collection.

    A database that already holds data is refused (DatabaseNotEmptyError) unless
    `drop` (wipe the four collections first) or `force` (insert beside the data;
    usernames that already exist then fail with a duplicate key error).
    """
    if drop:
        for name in COLLECTIONS:
            db.drop_collection(name)
    elif not force and not is_empty(db):
        raise DatabaseNotEmptyError(f"database {db.name!r} is not empty")
    ensure_indexes(db)
    progress = progress if progress is not None else Progress()
    generator = Generator(config)
    _insert(db, "users", iter(generator.users), len(generator.users), progress, batch_size)
    _insert(db, "messages", generator.messages(), config.messages, progress, batch_size)
    _insert(db, "rooms", iter(generator.rooms), len(generator.rooms), progress, batch_size)
    return {"users": config.users, "rooms": config.rooms, "messages": config.messages}


def config_for(preset: str, **overrides: int | None) -> SeedConfig:
    """A preset with the given sizes replaced (None keeps the preset's value)."""
    return replace(PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None})
