"""Property: whatever documents the shared database holds, modern's reads never 5xx.

Hypothesis writes legacy-shaped users, rooms and messages straight into the database:
every field missing, well typed, or any JSON value legacy would have stored (NaN,
Infinity, 64-bit integers, nested lists and objects, strings past the rendering
bound). Then one caller, a member of the generated rooms, reads every read endpoint
of a running modern (pages followed through their cursors): each answers 200 and
the reply validates against modern's public schemas. Its writes over the same
documents (join, leave, post, react, edit) answer below 500 too.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from modern.repositories.documents import MAX_TEXT_CHARS
from modern.schemas import (
    HomePublic,
    MessagePublic,
    RoomDetail,
    RoomPublic,
    RoomSummary,
    SearchPublic,
    UserPublic,
)
from tests.integration.modern.conftest import modern_env
from tests.support.isolation import open_database
from tests.support.servers import RunningServer, run_app

Doc = dict[str, Any]
MISSING = object()  # a field left out of the document
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)  # BSON refuses larger
SCALARS = (
    st.none()
    | st.booleans()
    | INT64
    | st.floats()  # NaN, ±Infinity, -0.0 included
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
    | st.sampled_from(["javascript:alert(1)", "https://example.org/a.png", "$gt", ""])
)
# Object keys: BSON forbids NUL in keys and the server refuses `$`-prefixed or dotted
# ones, so legacy could not have stored those either.
KEYS = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=6)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)
HUGE = st.integers(MAX_TEXT_CHARS - 2, MAX_TEXT_CHARS + 50).map(lambda n: "ẞ" * n)
DATES = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=at.microsecond // 1000 * 1000))


def field(well_typed: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A stored field: usually what legacy's handlers write, else anything."""
    return st.one_of(well_typed, well_typed, st.just(MISSING), ANY_JSON)


def present(doc: Doc) -> Doc:
    return {name: value for name, value in doc.items() if value is not MISSING}


def document(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Doc]:
    return st.fixed_dictionaries({name: field(value) for name, value in fields.items()})


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
LONG_TEXT = TEXT | TEXT | TEXT | HUGE  # past the rendering bound now and then
USER = document(
    username=TEXT, display_name=TEXT, bio=LONG_TEXT | st.none(),
    avatar_url=st.just("https://example.org/me.png") | st.none(),
    created_at=DATES, last_seen_at=DATES,
)  # fmt: skip
ROOM = document(name=TEXT, topic=TEXT | st.none(), created_at=DATES, last_message_at=DATES)
MESSAGE = document(
    text=LONG_TEXT, created_at=DATES, edited_at=DATES | st.none(), deleted=st.booleans(),
)  # fmt: skip
# Who is where, as indexes into the world's users (0 is the caller) and rooms.
PICKS = st.lists(st.integers(0, 3), max_size=4)


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, list[Doc]]:
    users = [present({"_id": ObjectId(), **draw(USER)}) for _ in range(draw(st.integers(2, 4)))]
    rooms = []
    for _ in range(draw(st.integers(1, 3))):
        members = [users[i % len(users)]["_id"] for i in [0, *draw(PICKS)]]
        room = {"_id": ObjectId(), **draw(ROOM)}
        room["owner_id"] = draw(field(st.just(members[-1])))
        room["member_ids"] = draw(field(st.just(members)))
        rooms.append(present(room))
    messages = []
    for _ in range(draw(st.integers(0, 5))):
        message = {"_id": ObjectId(), **draw(MESSAGE)}
        message["room_id"] = rooms[draw(st.integers(0, len(rooms) - 1))]["_id"]
        message["author_id"] = draw(field(st.sampled_from([u["_id"] for u in users])))
        voters = st.lists(st.sampled_from([str(u["_id"]) for u in users]) | SCALARS, max_size=3)
        message["reactions"] = draw(field(st.dictionaries(KEYS, voters, max_size=2)))
        messages.append(present(message))
    return {"users": users, "rooms": rooms, "messages": messages}


@pytest.fixture(scope="module")
def server(module_db: str, redis_url: str, module_prefix: str) -> Iterator[RunningServer]:
    """Modern as deployed: caches on, change feed on (each example's writes drop the
    cached lists, so the new documents are rendered, not an older page)."""
    with run_app("modern.app:app", env=modern_env(module_db, redis_url, module_prefix)) as app:
        yield app


@pytest.fixture(scope="module")
def db(module_db: str) -> Iterator[Database[Doc]]:
    with open_database(module_db) as database:
        yield database


def store(db: Database[Doc], world: dict[str, list[Doc]]) -> str:
    """Write the world; return a session token of its first user (the caller)."""
    for user in world["users"]:
        try:
            db.users.insert_one(user)
        except DuplicateKeyError:  # usernames are unique (a missing one counts as null)
            db.users.insert_one({**user, "username": f"dup-{user['_id']}"})
    for name in ("rooms", "messages"):
        if world[name]:
            db[name].insert_many(world[name])
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.sessions.insert_one(
        {"token": token, "user_id": world["users"][0]["_id"], "created_at": now,
         "expires_at": now + timedelta(hours=1)}
    )  # fmt: skip
    return token


def read(http: httpx.Client, token: str, path: str, schema: TypeAdapter[Any], **params: Any) -> int:
    """GET `path` and up to MAX_PAGES pages after it (through the Link cursors); each
    must be a valid 200. Returns the number of pages read."""
    headers = {"Authorization": f"Bearer {token}"}
    reply = http.get(path, params=params, headers=headers)
    pages = 0
    while True:
        assert reply.status_code == 200, (path, reply.status_code, reply.text[:500])
        schema.validate_json(reply.content)
        pages += 1
        if "next" not in reply.links or pages >= MAX_PAGES:
            return pages
        reply = http.get(reply.links["next"]["url"], headers=headers)


MAX_PAGES = 3  # the lists of the whole database grow with every example
USERS = TypeAdapter(list[UserPublic])
ROOMS = TypeAdapter(list[RoomPublic])
MESSAGES = TypeAdapter(list[MessagePublic])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_every_read_renders_whatever_is_stored(
    http: httpx.Client, db: Database[Doc], world: dict[str, list[Doc]]
) -> None:
    token = store(db, world)
    read(http, token, "/api/home", TypeAdapter(HomePublic))
    read(http, token, "/api/rooms", TypeAdapter(list[RoomSummary]), limit=2)
    read(http, token, "/api/users", USERS, limit=3)
    for room in world["rooms"]:
        rid = room["_id"]
        read(http, token, f"/api/rooms/{rid}", TypeAdapter(RoomDetail), limit=2)
        read(http, token, f"/api/rooms/{rid}/messages", MESSAGES, limit=1)
    for user in world["users"]:
        read(http, token, f"/api/users/{user['_id']}", TypeAdapter(UserPublic))
        read(http, token, f"/api/users/{user['_id']}/rooms", ROOMS, limit=1)
    for q in ("e", "{"):
        read(http, token, "/api/search", TypeAdapter(SearchPublic), q=q, limit=2)
    write_over(http, token, world)


def write_over(http: httpx.Client, token: str, world: dict[str, list[Doc]]) -> None:
    """Modern's writes on the same documents: each answers below 500 (a 403 or 404 is
    a fair answer, e.g. for a message the caller did not write or one deleted)."""
    headers = {"Authorization": f"Bearer {token}"}
    calls: list[tuple[str, str, Any]] = [("PATCH", "/api/users/me", {"bio": "written"})]
    for room in world["rooms"]:
        rid = room["_id"]
        calls += [
            ("POST", f"/api/rooms/{rid}/leave", None),
            ("POST", f"/api/rooms/{rid}/join", None),
            ("POST", f"/api/rooms/{rid}/messages", {"text": "hello"}),
        ]
    for message in world["messages"]:
        mid = message["_id"]
        calls += [
            ("POST", f"/api/messages/{mid}/reactions", {"emoji": "👍"}),
            ("PATCH", f"/api/messages/{mid}", {"text": "edited"}),
        ]
    for method, path, body in calls:
        reply = http.request(method, path, json=body, headers=headers)
        assert reply.status_code < 500, (method, path, reply.status_code, reply.text[:500])
