"""Which rendered views exist, how they are keyed, how they are rendered, which writes
drop them.

Bounded pages are cached rendered (JSON bytes, `modern.wire.Raw`) so that a read at
any data size is a couple of Redis round trips and a copy, not a database scan plus
a re-encoding of every member profile. Services name the view they read (`home_rooms`,
`history`, `search`...) and hand over a loader of domain data; this module keys the
view, renders what the loader returns, stores it, and hands back a rendering the
services pass on without looking inside (the API writes it into the reply as is). Groups
(one Redis hash each) and their fields:

    room:<id>      summary:<t>             an item of GET /api/rooms (members, count)
                   home:<t>                an item of home's `rooms` (latest messages)
                   plain:<t>               an item of GET /api/users/{id}/rooms
                   members                 the members of GET /api/rooms/{id}
                   history:<t>:<limit>:<cursor>   a history page (next cursor + items)
    rooms:order    <limit>:<cursor>        GET /api/rooms page: [[room id, t], ...]
    home:<uid>     rooms                   the user's home rooms: [[room id, t], ...]
                   page:<limit>:<cursor>   GET /api/users/{uid}/rooms page order
    search         <limit>:<cursor>:<q>    a search reply (next cursor + object)
    users          <limit>:<cursor>        a GET /api/users page (next cursor + items)

`<t>` is the room's `last_message_at` (ms) as the request read it, so a post — through
modern or through legacy — re-keys that room's views by itself. The rules below drop
what modern's own writes change, as they are made; writes made elsewhere (legacy's)
arrive from the database's change feed and drop the same groups
(`modern.services.changes`). What else one page relies on (profiles, counts, latest
messages, per-worker copies) is gathered per page in `modern.readmodel.caching`.

Freshness rules (what a reader may see):
- after a write through modern: the write, on the next read (its groups are dropped);
- after a write through legacy: the write, once the change feed delivers it (about a
  second; MODERN_CHANGE_FEED);
- otherwise (no change streams on a standalone mongod, the feed off, data changed
  behind both apps' backs): within MODERN_CACHE_TTL + MODERN_STALE_SECONDS. A view
  whose TTL lapsed is served for up to MODERN_STALE_SECONDS more while ONE background
  rebuild runs (stale-while-revalidate, `modern.repositories.views`), so no reader
  waits for a rebuild the TTL caused. A dropped view is never served stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

from modern.domain import Room, RoomRef
from modern.services.ports import Items, Listed, RoomStore
from modern.wire import Raw, dumps

ROOM_ORDER = "rooms:order"
SEARCH = "search"
USERS = "users"
ViewKey = tuple[str, str]
Order = list[tuple[str, str]]
RoomView = Literal["summary", "home", "plain"]


# A stored view as the view store reads it: body, version, and whether its freshness
# lapsed (served still, to be rebuilt in the background); `RedisViews`' `Found`.
CachedView = tuple[Raw, bytes, bool]


class ViewCache(Protocol):
    """Rendered JSON by `(group, field)`; a write drops whole groups
    (`modern.repositories.views:RedisViews` implements it)."""

    @property
    def enabled(self) -> bool: ...
    def lookup(self, keys: Sequence[ViewKey]) -> Sequence[CachedView | None]: ...
    def put_many(self, values: Mapping[ViewKey, bytes]) -> None: ...
    def drop(self, groups: Iterable[str]) -> None: ...
    def refresh(
        self,
        lapsed: Mapping[ViewKey, bytes],
        rebuild: Callable[[list[ViewKey]], Mapping[ViewKey, bytes]],
    ) -> None:
        """Rebuild the lapsed views (key -> version read) in the background, once."""
        ...


def stamp(at: datetime | None) -> str:
    """A room's activity stamp: `last_message_at` in ms, `-` for none."""
    return "-" if at is None else str(int(at.timestamp() * 1000))


def room_group(room_id: str) -> str:
    return f"room:{room_id}"


def home_group(user_id: str) -> str:
    return f"home:{user_id}"


def _page_field(*parts: str | int | None) -> str:
    """A page's field: its parameters joined by `:`, a missing cursor as empty."""
    return ":".join("" if part is None else str(part) for part in parts)


class Hit(NamedTuple):
    """A cached view as read here: body, version, lapsed (see CachedView)."""

    body: Raw
    version: bytes
    lapsed: bool


def order_of(rooms: Iterable[Room]) -> Order:
    return [(room["id"], stamp(room["last_message_at"])) for room in rooms]


class Views:
    """Parameters: cache — where rendered views live; None (the default) caches and
    renders nothing: services then get plain domain values (unit tests, no Redis)."""

    def __init__(self, cache: ViewCache | None = None) -> None:
        self._cache = cache

    # -- the views services read, by name -------------------------------------------------

    def home_rooms(
        self, store: RoomStore, user_id: str, load: Callable[[], list[Room]], build: Items
    ) -> list[Any]:
        """The home page's rooms: the user's order, then each room's `home` item."""
        key = (home_group(user_id), "rooms")
        return self._ordered(store, key, lambda: (load(), None), "home", build, paged=False)[0]

    def room_list(
        self, store: RoomStore, limit: int, cursor: str | None, load: Listed, build: Items
    ) -> tuple[list[Any], str | None]:
        """A GET /api/rooms page: its order, then each room's `summary` item."""
        key = (ROOM_ORDER, _page_field(limit, cursor))
        return self._ordered(store, key, load, "summary", build, paged=True)

    def user_rooms(
        self, store: RoomStore, user_id: str, limit: int, cursor: str | None, load: Listed
    ) -> tuple[list[Any], str | None]:
        """A GET /api/users/{id}/rooms page: its order lives with the user's home views
        (the same writes change it), each plain room is a view of its room."""
        key = (home_group(user_id), _page_field("page", limit, cursor))
        return self._ordered(store, key, load, "plain", list, paged=True)

    def history(
        self, room: RoomRef, limit: int, cursor: str | None, load: Callable[[], Any]
    ) -> tuple[Any, str | None]:
        """A history page of the room (dropped by any write to its messages)."""
        at = stamp(room["last_message_at"])
        return self.paged((room_group(room["id"]), _page_field("history", at, limit, cursor)), load)

    def members(self, room_id: str, build: Callable[[], Any]) -> Any:
        """The member list of GET /api/rooms/{id}."""
        (members,) = self.rendered([(room_group(room_id), "members")], lambda _: {0: build()})
        return members

    def users_page(
        self, limit: int, cursor: str | None, load: Callable[[], Any]
    ) -> tuple[Any, str | None]:
        return self.paged((USERS, _page_field(limit, cursor)), load)

    def search(
        self, q: str, limit: int, cursor: str | None, load: Callable[[], Any]
    ) -> tuple[Any, str | None]:
        return self.paged((SEARCH, _page_field(limit, cursor, q)), load)

    # -- reading and filling ------------------------------------------------------------

    def get_many(self, keys: Sequence[ViewKey]) -> list[Raw | None]:
        return [None if found is None else found.body for found in self._lookup(keys)]

    def put_many(self, values: dict[ViewKey, bytes]) -> None:
        if self._cache is not None and values:
            self._cache.put_many(values)

    def json(self, key: ViewKey, load: Callable[[], Any]) -> Any:
        """A small cached JSON value (an order, a next cursor), or `load()` stored."""
        return self._one(key, lambda: dumps(load())).value()

    def paged(
        self, key: ViewKey, load: Callable[[], tuple[Any, str | None]]
    ) -> tuple[Any, str | None]:
        """A rendered page (`Raw`) and its next cursor, cached as `<cursor>\\n<JSON>`.
        Without a cache, `load()`'s content as it is (nothing is rendered twice)."""
        if self._cache is None:
            return load()

        def render() -> bytes:
            content, next_cursor = load()
            return (next_cursor or "").encode() + b"\n" + dumps(content)

        cursor, _, body = self._one(key, render).body.partition(b"\n")
        return Raw(body), cursor.decode() or None

    def rendered(
        self, keys: Sequence[ViewKey], build: Callable[[list[int]], dict[int, Any]]
    ) -> list[Any]:
        """Views for `keys`, in order; the missing ones (by position) come from `build`
        and are stored, the lapsed ones are served and rebuilt by `build` in the
        background. A position `build` leaves out is left out. Without a cache,
        `build`'s items as they are."""
        if self._cache is None:
            return list(build(list(range(len(keys)))).values())
        lookups = self._lookup(keys)
        self._refresh_lapsed(
            keys,
            lookups,
            lambda positions: {keys[i]: dumps(item) for i, item in build(positions).items()},
        )
        found = [None if hit is None else hit.body for hit in lookups]
        missing = [i for i, raw in enumerate(found) if raw is None]
        if missing:
            built = {i: Raw(dumps(item)) for i, item in build(missing).items()}
            found = [built.get(i) if raw is None else raw for i, raw in enumerate(found)]
            self.put_many({keys[i]: raw.body for i, raw in built.items()})
        return [raw for raw in found if raw is not None]

    def _lookup(self, keys: Sequence[ViewKey]) -> list[Hit | None]:
        if self._cache is None or not keys:
            return [None] * len(keys)
        return [None if hit is None else Hit(*hit) for hit in self._cache.lookup(keys)]

    def _one(self, key: ViewKey, render: Callable[[], bytes]) -> Raw:
        """One cached rendering of `key`: served (and, when lapsed, rebuilt by `render`
        in the background), or rendered now and stored."""
        (hit,) = self._lookup([key])
        if hit is None:
            raw = Raw(render())
            self.put_many({key: raw.body})
            return raw
        self._refresh_lapsed([key], [hit], lambda _: {key: render()})
        return hit.body

    def _refresh_lapsed(
        self,
        keys: Sequence[ViewKey],
        hits: Sequence[Hit | None],
        rebuild: Callable[[list[int]], dict[ViewKey, bytes]],
    ) -> None:
        """Hand the lapsed views among `hits` to a background rebuild: `rebuild` gets
        their positions in `keys` and returns their renderings."""
        if self._cache is None:
            return
        lapsed = {keys[i]: hit.version for i, hit in enumerate(hits) if hit and hit.lapsed}
        if lapsed:
            position = {key: i for i, key in enumerate(keys)}
            self._cache.refresh(lapsed, lambda chosen: rebuild([position[k] for k in chosen]))

    def _ordered(
        self,
        store: RoomStore,
        key: ViewKey,
        load: Listed,
        field: RoomView,
        build: Items,
        *,
        paged: bool,
    ) -> tuple[list[Any], str | None]:
        """A list of rooms as two kinds of view: its order (`[room id, stamp]` pairs,
        with the next cursor when `paged`) and one `field` view per room; the rooms
        `load` read for the order build the missing items without a second lookup."""
        loaded: dict[str, Room] = {}

        def load_order() -> Any:
            rooms, next_cursor = load()
            loaded.update((room["id"], room) for room in rooms)
            rows = order_of(rooms)
            return {"rows": rows, "next": next_cursor} if paged else rows

        order = self.json(key, load_order)
        rows, next_cursor = (order["rows"], order["next"]) if paged else (order, None)
        return self.rooms(store, rows, field, build, loaded), next_cursor

    def rooms(
        self,
        store: RoomStore,
        order: Sequence[Sequence[str]],
        field: RoomView,
        build: Items,
        loaded: dict[str, Room],
    ) -> list[Any]:
        """One rendered view per room of `order` (`[room id, stamp]` pairs), from the
        `field` views of the rooms' groups; missing ones are built from `loaded` rooms
        (the ones this request already read) or one batched lookup."""
        keys = [(room_group(room_id), f"{field}:{at}") for room_id, at in order]

        def missing_items(missing: list[int]) -> dict[int, Any]:
            need = [order[i][0] for i in missing if order[i][0] not in loaded]
            if need:
                loaded.update(store.get_many(need))
            present = [i for i in missing if order[i][0] in loaded]
            items = build([loaded[order[i][0]] for i in present])
            return dict(zip(present, items, strict=True))

        return self.rendered(keys, missing_items)

    # -- what each write changes ---------------------------------------------------------

    def _drop(self, groups: Iterable[str]) -> None:
        if self._cache is not None:
            self._cache.drop(groups)

    def message_posted(self, room: Room) -> None:
        """History, latest messages, count and activity order of the room; every member's
        home order (the room moves up)."""
        self.room_changed(room["id"], room["member_ids"])

    def room_changed(self, room_id: str, user_ids: Iterable[str]) -> None:
        """Anything about the room (as seen on the change feed, where a post is a message
        insert plus a room update): its views, the activity order, and the home order of
        `user_ids` (its members, and whoever just left)."""
        self._drop([room_group(room_id), ROOM_ORDER, *map(home_group, user_ids)])

    def message_changed(self, room_id: str) -> None:
        """An edit, deletion or reaction: the room's history and latest messages."""
        self._drop([room_group(room_id)])

    def membership_changed(self, room_id: str, user_id: str) -> None:
        """Join or leave: the room's `member_ids` and members; the user's home rooms."""
        self._drop([room_group(room_id), home_group(user_id)])

    def room_created(self, owner_id: str) -> None:
        self._drop([ROOM_ORDER, home_group(owner_id), SEARCH])

    def profile_changed(self, room_ids: Iterable[str]) -> None:
        """A profile (or `last_seen_at`) change: the member lists of the user's rooms,
        search results and the user directory."""
        self._drop([SEARCH, USERS, *map(room_group, room_ids)])

    def user_registered(self) -> None:
        self._drop([SEARCH, USERS])
