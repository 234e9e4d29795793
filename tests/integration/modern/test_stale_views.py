"""Stale-while-revalidate (modern.repositories.views, .refresh) against real Redis.

The freshness rules under test (modern.readmodel.views): a view whose TTL lapsed is
served for at most MODERN_STALE_SECONDS more while ONE rebuild runs in the background,
across workers and instances; a write (through modern, or through legacy and the
change feed) drops its views, and neither a stale copy nor a rebuild in progress can
hide it; a rebuild that fails leaves the stale copy no longer than that bound.

Two `RedisViews` (each with its own pool) on one key prefix stand for two instances.
Rebuilds are held on an event where a test needs one "in progress". Room message
counts are the aggregate kept apart from the views: maintained as messages are added,
recounted in the background when due.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pymongo
import pytest
import redis
from bson import ObjectId

from modern.readmodel.views import ROOM_ORDER, Views
from modern.repositories.cache import Cache
from modern.repositories.messages import MongoMessages, count_key
from modern.repositories.refresh import Refresher
from modern.repositories.views import LOCK_PREFIX, RedisViews
from tests.integration.modern.client import Api
from tests.integration.modern.conftest import MODERN, modern_env
from tests.support.servers import run_app

TTL = 1
STALE = 3.0
KEY = ("search", "50::an")
WAIT = 10.0  # generous: the machine is shared


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def instances(client: redis.Redis, redis_prefix: str) -> Iterator[list[tuple[Views, Refresher]]]:
    """Two instances' views on one prefix, each with its own background pool."""
    made: list[tuple[Views, Refresher]] = []
    for _ in range(2):
        cache = Cache(client, redis_prefix)
        refresher = Refresher(cache, hold=STALE, retry=0.5)
        made.append(
            (Views(RedisViews(cache, TTL, 1 << 20, stale=STALE, refresher=refresher)), refresher)
        )
    yield made
    for _, refresher in made:
        refresher.close()


def until(check: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def lapse() -> None:
    time.sleep(TTL + 0.2)


class Source:
    """The data a view renders: a version number; `hold()` makes the next load (the
    background rebuild a lapsed read starts) wait until `release()`."""

    def __init__(self) -> None:
        self.value = 1
        self.loads = 0
        self.fail = False
        self.entered = threading.Event()
        self._released = threading.Event()
        self._gate: threading.Event | None = None

    def hold(self) -> None:
        self._released = self._gate = threading.Event()

    def release(self) -> None:
        self._released.set()

    def load(self) -> tuple[Any, str | None]:
        self.loads += 1
        read = self.value  # read before waiting: a rebuild in progress holds old data
        gate, self._gate = self._gate, None
        if gate is not None:
            self.entered.set()
            assert gate.wait(WAIT)
        if self.fail:
            raise RuntimeError("database down")
        return {"value": read}, None


def _read(views: Views, source: Source) -> Any:
    page, _ = views.paged(KEY, source.load)
    return page.value()["value"]


def test_a_lapsed_view_is_served_by_two_instances_while_exactly_one_rebuilds_it(
    instances: list[tuple[Views, Refresher]],
) -> None:
    (one, one_pool), (two, two_pool) = instances
    source = Source()
    assert _read(one, source) == 1 and source.loads == 1
    source.value = 2
    lapse()
    source.hold()  # the rebuild will hang until released
    started = time.monotonic()
    assert [_read(one, source), _read(two, source), _read(two, source)] == [1, 1, 1]
    assert time.monotonic() - started < 1.0  # nobody waited for the held rebuild
    assert source.entered.wait(WAIT)
    assert source.loads == 2  # one rebuild for both instances and all three reads
    assert one_pool.started + two_pool.started == 1
    source.release()
    assert until(lambda: _read(two, source) == 2)
    assert _read(one, source) == 2


@dataclass(frozen=True)
class Stored:
    """One instance whose view is stored: read once from a fresh source (value 1)."""

    views: Views
    pool: Refresher
    source: Source
    at: float  # when it was stored (wall clock, as the TTL counts)


@pytest.fixture
def stored(instances: list[tuple[Views, Refresher]]) -> Stored:
    (views, pool), _ = instances
    source = Source()
    assert _read(views, source) == 1
    return Stored(views, pool, source, time.time())


def test_a_write_during_a_rebuild_is_not_hidden_by_the_rebuild(stored: Stored) -> None:
    views, pool, source = stored.views, stored.pool, stored.source
    lapse()
    source.hold()
    assert _read(views, source) == 1  # lapsed: served, rebuild started and held ...
    assert source.entered.wait(WAIT)
    source.value = 2  # ... a write lands and drops the group, as every write does
    views.user_registered()  # drops "search"
    assert _read(views, source) == 2  # a miss, rebuilt in line: the write shows at once
    source.release()  # the old rebuild finishes with what it read before the write
    assert until(lambda: pool.pending == 0)
    assert pool.started == 1 and pool.failed == 0
    assert _read(views, source) == 2  # and did not store over the newer view
    lapse()  # (the newer view lapses in turn, and its own rebuild reads the newest)
    source.value = 3
    assert _read(views, source) == 2
    assert until(lambda: _read(views, source) == 3)


def test_a_failing_rebuild_leaves_the_stale_copy_no_longer_than_the_bound(
    stored: Stored,
) -> None:
    views, pool, source, stored_at = stored.views, stored.pool, stored.source, stored.at
    source.value, source.fail = 2, True
    lapse()
    served: list[tuple[float, Any]] = []
    while time.time() < stored_at + TTL + STALE + 1.0:
        try:
            served.append((time.time() - stored_at, _read(views, source)))
        except RuntimeError:  # past the bound: the read rebuilds in line, and fails
            served.append((time.time() - stored_at, "error"))
        time.sleep(0.1)
    assert pool.failed >= 2  # retried (after the lock's retry pause), not once per read
    assert pool.failed < len(served)
    stale = [at for at, value in served if value == 1]
    assert stale and max(stale) < TTL + STALE + 0.5  # (a read takes a moment)
    assert served[-1][1] == "error"  # the stale copy is gone: nothing old is served
    source.fail = False
    assert _read(views, source) == 2


def test_with_the_cache_off_nothing_is_stored_or_served(
    client: redis.Redis, redis_prefix: str
) -> None:
    cache = Cache(client, redis_prefix)
    refresher = Refresher(cache, hold=STALE)
    try:
        views = Views(RedisViews(cache, 0, 1 << 20, stale=STALE, refresher=refresher))
        source = Source()
        assert [_read(views, source), _read(views, source)] == [1, 1] and source.loads == 2
        assert not list(client.scan_iter(match=f"{redis_prefix}*"))
    finally:
        refresher.close()


# -- through HTTP: a write made through legacy while a rebuild is in progress --------------


@pytest.fixture(scope="module")
def apps(module_db: str, redis_url: str, module_prefix: str) -> Iterator[tuple[Api, Api, str]]:
    """(legacy, modern, modern's key prefix) on one database; modern's views lapse after
    a second and may be served stale for a minute, so only the change feed can be
    what makes a write visible."""
    prefix = module_prefix + "swr:"
    env = modern_env(
        module_db, redis_url, prefix,
        MODERN_CACHE_TTL="1", MODERN_STALE_SECONDS="60", MODERN_CHANGE_FEED="1",
    )  # fmt: skip
    with (
        run_app("legacy.app:app", env={"MONGODB_URI": module_db}) as legacy_server,
        run_app(MODERN, env=env) as modern_server,
        httpx.Client(base_url=legacy_server.url, timeout=30) as legacy_http,
        httpx.Client(base_url=modern_server.url, timeout=30) as modern_http,
    ):
        yield Api(legacy_http), Api(modern_http), prefix


FEED_BOUND = 5.0
SETTLE = 1.5  # the documented bound for legacy's writes: the feed's lag (about 1 s)


def test_a_post_through_legacy_shows_in_modern_while_a_rebuild_is_in_progress(
    apps: tuple[Api, Api, str], client: redis.Redis, module_db: str
) -> None:
    legacy, modern, prefix = apps
    alice = legacy.register("sw")
    quiet, busy = legacy.room(alice, "quiet"), legacy.room(alice, "busy")
    legacy.post(alice, quiet["id"], "first")
    time.sleep(SETTLE)  # the feed's second delivery of those writes drops views once more
    order = lambda: [room["id"] for room in modern.get(alice, "/api/rooms", limit=100).json()]  # noqa: E731
    assert order()[0] == quiet["id"]
    # Another instance is rebuilding the room list's order (it holds the lock): ours
    # serves the lapsed copy and starts no rebuild of its own.
    lock = f"{prefix}cache:lock:{LOCK_PREFIX}{ROOM_ORDER}|100:"
    assert client.set(lock, "another instance", nx=True, px=60_000)
    try:
        lapse()
        assert order()[0] == quiet["id"]
        version = client.hget(f"{prefix}cache:view:{ROOM_ORDER}", "#100:")
        assert version is not None and int(version.rsplit(b"@", 1)[1]) / 1000 < time.time()
        posted = time.monotonic()
        legacy.post(alice, busy["id"], "moves busy up")
        assert until(lambda: order()[0] == busy["id"], FEED_BOUND), "hidden by the stale copy"
        assert time.monotonic() - posted < FEED_BOUND
        assert client.exists(lock)  # the rebuild was still "in progress" all along
    finally:
        client.delete(lock)
    with pymongo.MongoClient(module_db) as mongo:  # and straight into the database
        mongo.get_default_database().rooms.update_one(
            {"_id": ObjectId(quiet["id"])}, {"$set": {"topic": "set behind both apps"}}
        )
    listed = lambda: {r["id"]: r for r in modern.get(alice, "/api/rooms", limit=100).json()}  # noqa: E731
    assert until(lambda: listed()[quiet["id"]]["topic"] == "set behind both apps", FEED_BOUND)


# -- room message counts: maintained as messages are written, recounted in the background --


def test_a_due_count_snapshot_is_served_and_recounted_in_the_background(
    mongo_uri: str, client: redis.Redis, redis_prefix: str
) -> None:
    cache = Cache(client, redis_prefix)
    refresher = Refresher(cache, hold=STALE)
    mongo: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_uri, tz_aware=True)
    try:
        collection = mongo.get_default_database().messages
        messages = MongoMessages(collection, cache, summary_ttl=30, refresher=refresher)
        room_id = ObjectId()
        at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        collection.insert_many(
            [{"room_id": room_id, "created_at": at - timedelta(seconds=i)} for i in range(3)]
        )
        room: Any = {"id": str(room_id), "last_message_at": at}
        assert messages.counts([room]) == {str(room_id): 3}
        snapshot = cache.get_many([count_key(str(room_id))])[0]
        assert snapshot["due"] > time.time() + 3600  # not due for hours
        # A message removed behind modern's back, and the snapshot comes due.
        collection.delete_one({"room_id": room_id, "created_at": at - timedelta(seconds=2)})
        cache.set_many({count_key(str(room_id)): {**snapshot, "due": 0}}, 60)
        assert messages.counts([room]) == {str(room_id): 3}  # served, no recount in line
        assert refresher.started == 1
        assert until(lambda: messages.counts([room]) == {str(room_id): 2})
        # (A read that saw the due snapshot just before the recount landed may start a
        # second one; once it has landed, no read does.)
        assert until(lambda: refresher.pending == 0)
        settled = refresher.started
        assert [messages.counts([room]) for _ in range(3)] == [{str(room_id): 2}] * 3
        assert refresher.started == settled  # not due again for hours
    finally:
        refresher.close()
        mongo.close()
