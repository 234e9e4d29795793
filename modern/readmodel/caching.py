"""Every caching decision behind each of modern's pages, in one table.

One page rests on several caches kept in different places: the rendered views (this
package), each worker's copies of them, and the repositories' own caches of the parts
a view is built from (profiles, room message counts, latest messages, rankings). The
mechanisms stay where they work; this table gathers what they decide, per page, so
that one page's caching reads in one place: what is kept, under which key, for how
long, and which writes drop it. `python -m modern.readmodel.caching` prints it.

Every mechanism names the code that implements it (`code`), and a unit test checks
that each page is a route of the app, so a rename or a new page cannot leave the
table behind silently. The reasons are in docs/decisions/0004 (rendered views, their
versions and copies) and 0007 (stale-while-revalidate, counts kept apart).
"""

from __future__ import annotations

from dataclasses import dataclass

from modern.readmodel.views import Views
from modern.repositories.cache import Cache
from modern.repositories.changes import MongoChangeFeed
from modern.repositories.local_copies import LocalCopies
from modern.repositories.messages import (
    COUNT_RECOUNT_AFTER,
    COUNT_SNAPSHOT_TTL,
    MongoMessages,
    count_key,
    latest_key,
)
from modern.repositories.refresh import Refresher
from modern.repositories.rooms import POPULAR_CACHED, POPULAR_KEY, MongoRooms
from modern.repositories.users import (
    DIRECTORY_KEY,
    DIRECTORY_MAX,
    PROFILE_JITTER,
    RECENT_KEY,
    MongoUsers,
    user_key,
)
from modern.repositories.views import RedisViews


@dataclass(frozen=True)
class Mechanism:
    """One way of caching: `code` implements it, `lifetime` is how long a value lives."""

    name: str
    code: tuple[object, ...]
    lifetime: str


@dataclass(frozen=True)
class Part:
    """One cached part of a page: what it is, its key, its mechanism, what drops it."""

    what: str
    key: str
    mechanism: Mechanism
    dropped_by: str


VIEW = Mechanism(
    "rendered view (Redis hash field, versioned)",
    (Views, RedisViews, Refresher, MongoChangeFeed),
    "fresh MODERN_CACHE_TTL (30 s), then served stale MODERN_STALE_SECONDS (60 s) while "
    "one background rebuild runs; a dropped view is a miss, never stale",
)
LOCAL_COPY = Mechanism(
    "worker's copy of a rendered view",
    (LocalCopies,),
    "served only while Redis holds the same version (so exactly a view's life); at most "
    "MODERN_LOCAL_VIEWS_MB per worker, least recently used out first",
)
PROFILE = Mechanism(
    "cached profile (Cache.set_many)",
    (MongoUsers.get_many, MongoUsers.forget, Cache),
    f"MODERN_PROFILE_TTL (300 s), spread ±{PROFILE_JITTER:.0%} so that a big room's "
    "members do not expire together",
)
REMEMBERED = Mechanism(
    "remembered value (Cache.remember)",
    (Cache.remember, MongoRooms.popular, MongoUsers.recent, MongoUsers.list_page),
    "MODERN_CACHE_TTL (30 s), rebuilt in line by the first reader after it",
)
LATEST = Mechanism(
    "latest messages of a room",
    (MongoMessages.latest, MongoMessages.forget),
    "MODERN_CACHE_TTL (30 s)",
)
COUNT = Mechanism(
    "message count snapshot {n, last, due}",
    (MongoMessages.counts, Refresher),
    f"{COUNT_SNAPSHOT_TTL // 3600} h without a read, ±20%; recounted in the background "
    f"once older than about {COUNT_RECOUNT_AFTER // 3600} h; follows new messages by "
    "counting only those after `last`, so nothing drops it",
)

# Writes, by name, as `Views` and the repositories' `forget` methods handle them; the
# change feed (`MongoChangeFeed`) delivers legacy's writes to the same rules.
POST = "a post in the room (Views.message_posted)"
MESSAGE_WRITE = "a post, edit, deletion or reaction in the room (Views.message_changed)"
MEMBERSHIP = "a join or leave (Views.membership_changed)"
ROOM_CREATED = "a room created (Views.room_created)"
PROFILE_WRITE = "a profile or `last_seen_at` change, i.e. a login (Views.profile_changed)"
REGISTRATION = "a registration (Views.user_registered)"

_HISTORY = Part(
    "a history page",
    f"view room:<id> history:<t>:<limit>:<cursor>  ({count_key('<id>')} untouched)",
    VIEW,
    f"{MESSAGE_WRITE}; {MEMBERSHIP}; {PROFILE_WRITE} of a member; a post re-keys it (<t>)",
)
_HISTORY_COPY = Part("the page's bytes in this worker", "the view's key", LOCAL_COPY, "as the view")
_CALLER = Part("the caller's profile (authentication)", user_key("<uid>"), PROFILE, PROFILE_WRITE)

PAGES: dict[str, tuple[Part, ...]] = {
    "GET /api/home": (
        _CALLER,
        Part(
            "the caller's room order",
            "view home:<uid> rooms",
            VIEW,
            f"{POST} of one of the caller's rooms; {MEMBERSHIP} of the caller; {ROOM_CREATED} "
            "by the caller",
        ),
        Part(
            "each room with its 3 latest messages",
            "view room:<id> home:<t>",
            VIEW,
            f"{MESSAGE_WRITE}; {MEMBERSHIP}; {PROFILE_WRITE} of a member; a post re-keys it",
        ),
        Part("those views' bytes in this worker", "the views' keys", LOCAL_COPY, "as the views"),
        Part(
            "a room's latest messages (to build its item)",
            latest_key("<id>"),
            LATEST,
            "any message write in the room (MongoMessages.forget)",
        ),
        Part(
            f"suggested rooms: the {POPULAR_CACHED} most joined, the caller's filtered out",
            POPULAR_KEY,
            REMEMBERED,
            "any room write (MongoRooms.forget)",
        ),
        Part(
            "recently seen users",
            RECENT_KEY,
            REMEMBERED,
            "a registration or any profile change (MongoUsers.forget)",
        ),
    ),
    "GET /api/rooms": (
        _CALLER,
        Part(
            "the page's order and next cursor",
            "view rooms:order <limit>:<cursor>",
            VIEW,
            f"{POST}; {ROOM_CREATED}",
        ),
        Part(
            "each room's summary (members, message count)",
            "view room:<id> summary:<t>",
            VIEW,
            f"{MESSAGE_WRITE}; {MEMBERSHIP}; {PROFILE_WRITE} of a member; a post re-keys it",
        ),
        Part("those views' bytes in this worker", "the views' keys", LOCAL_COPY, "as the views"),
        Part("a room's message count", count_key("<id>"), COUNT, "nothing (see lifetime)"),
        Part("each member's profile", user_key("<uid>"), PROFILE, PROFILE_WRITE),
    ),
    "GET /api/rooms/{room_id}": (
        _CALLER,
        _HISTORY,
        Part(
            "the room's members",
            "view room:<id> members",
            VIEW,
            f"{MEMBERSHIP}; {PROFILE_WRITE} of a member; {MESSAGE_WRITE}",
        ),
        _HISTORY_COPY,
        Part("each member's profile", user_key("<uid>"), PROFILE, PROFILE_WRITE),
    ),
    "GET /api/rooms/{room_id}/messages": (_CALLER, _HISTORY, _HISTORY_COPY),
    "GET /api/users": (
        _CALLER,
        Part(
            "a page of users and its next cursor",
            "view users <limit>:<cursor>",
            VIEW,
            f"{REGISTRATION}; {PROFILE_WRITE}",
        ),
        Part(
            f"every (username, id), up to {DIRECTORY_MAX:,} users",
            DIRECTORY_KEY,
            REMEMBERED,
            "a registration (usernames never change)",
        ),
        Part("each listed profile", user_key("<uid>"), PROFILE, PROFILE_WRITE),
    ),
    "GET /api/users/{user_id}": (
        _CALLER,
        Part("the profile", user_key("<uid>"), PROFILE, PROFILE_WRITE),
    ),
    "GET /api/users/{user_id}/rooms": (
        _CALLER,
        Part(
            "the page's order and next cursor",
            "view home:<uid> page:<limit>:<cursor>",
            VIEW,
            f"{POST} of one of the user's rooms; {MEMBERSHIP} of the user; {ROOM_CREATED} "
            "by the user",
        ),
        Part(
            "each room as it is",
            "view room:<id> plain:<t>",
            VIEW,
            f"{MESSAGE_WRITE}; {MEMBERSHIP}; {PROFILE_WRITE} of a member; a post re-keys it",
        ),
        Part("those views' bytes in this worker", "the views' keys", LOCAL_COPY, "as the views"),
    ),
    "GET /api/search": (
        _CALLER,
        Part(
            "a search reply (users and rooms) and its next cursor",
            "view search <limit>:<cursor>:<q>",
            VIEW,
            f"{REGISTRATION}; {PROFILE_WRITE}; {ROOM_CREATED}",
        ),
    ),
}


def describe(page: str) -> str:
    """One page's caching as text: each part, its key, lifetime and what drops it."""
    lines = [page]
    for part in PAGES[page]:
        lines += [
            f"  - {part.what}",
            f"      key:        {part.key}",
            f"      mechanism:  {part.mechanism.name}",
            f"      lifetime:   {part.mechanism.lifetime}",
            f"      dropped by: {part.dropped_by}",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print("\n\n".join(map(describe, PAGES)))
