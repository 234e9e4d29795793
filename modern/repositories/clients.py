"""Building the database and Redis clients from settings (called in the lifespan only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import fakeredis
import pymongo
import redis
import redis.asyncio as aioredis
from pymongo.database import Database
from redis.backoff import NoBackoff
from redis.retry import Retry

from modern.domain import Change, MessageWritten, RoomWritten, UserWritten
from modern.repositories.cache import Cache
from modern.repositories.changes import enable_pre_images
from modern.repositories.events import RedisEventBus
from modern.repositories.indexes import ensure_indexes
from modern.repositories.messages import MongoMessages
from modern.repositories.mongo import Document
from modern.repositories.monitoring import SlowQueryListener
from modern.repositories.refresh import Refresher
from modern.repositories.rooms import MongoRooms
from modern.repositories.sessions import MongoSessions
from modern.repositories.users import MongoUsers
from modern.repositories.views import RedisViews
from modern.settings import Settings

REDIS_TIMEOUT_SECONDS = 0.5
# Fail fast instead of redis-py's retries with backoff (seconds per call during an
# outage): the cache degrades to the database, the event bus to local delivery.
NO_RETRY: dict[str, Any] = {
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
    "retry": Retry(NoBackoff(), 0),
}


@dataclass
class Storage:
    """Everything the lifespan opens: repositories, the event bus, clients to close."""

    client: pymongo.MongoClient[Document]
    database: Database[Document]
    changes: Database[Document]  # the same database through the change feed's own client
    listener: SlowQueryListener
    cache: Cache
    users: MongoUsers
    sessions: MongoSessions
    rooms: MongoRooms
    messages: MongoMessages
    views: RedisViews
    refresher: Refresher  # the views' background rebuilds
    events: RedisEventBus
    redis_sync: redis.Redis
    redis_async: aioredis.Redis

    def close(self) -> None:
        self.refresher.close()  # first: its rebuilds use the clients closed below
        self.client.close()
        self.changes.client.close()
        self.redis_sync.close()

    def forget(self, change: Change) -> None:
        """Drop what a write seen on the change feed changes in the repositories' caches."""
        match change:
            case UserWritten(user_id=user_id, created=created):
                self.users.forget(user_id, created=created)
            case RoomWritten():
                self.rooms.forget()
            case MessageWritten(room_id=room_id):
                self.messages.forget(room_id)


def open_storage(settings: Settings) -> Storage:
    """Connect lazily (pymongo and redis connect on first use) and ensure indexes."""
    listener = SlowQueryListener(settings.slow_query_ms)
    client: pymongo.MongoClient[Document] = pymongo.MongoClient(
        settings.mongodb_uri, tz_aware=True, event_listeners=[listener],
        serverSelectionTimeoutMS=5000, appname="modern",
    )  # fmt: skip
    database = client[settings.database]
    # The change feed long-polls (each getMore waits up to half a second): its own
    # client keeps that off the requests' pool and out of the slow-query log.
    changes_client: pymongo.MongoClient[Document] = pymongo.MongoClient(
        settings.mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=5000,
        appname="modern-changes",
    )  # fmt: skip
    redis_sync, redis_async = _redis_clients(settings.redis_url)
    prefix = settings.redis_key_prefix
    cache = Cache(redis_sync, prefix)
    refresher = Refresher(cache, hold=max(1.0, settings.stale_seconds))
    ensure_indexes(database)
    enable_pre_images(database)
    return Storage(
        client=client,
        database=database,
        changes=changes_client[settings.database],
        listener=listener,
        cache=cache,
        users=MongoUsers(
            database["users"],
            cache,
            profile_ttl=settings.profile_ttl,
            list_ttl=settings.cache_ttl,
        ),
        sessions=MongoSessions(database["sessions"]),
        rooms=MongoRooms(database["rooms"], cache, list_ttl=settings.cache_ttl),
        messages=MongoMessages(
            database["messages"], cache, summary_ttl=settings.cache_ttl, refresher=refresher
        ),
        views=RedisViews(
            cache,
            settings.cache_ttl,
            local_bytes=int(settings.local_views_mb * 2**20),
            stale=settings.stale_seconds,
            refresher=refresher,
        ),
        refresher=refresher,
        events=RedisEventBus(redis_sync, redis_async, prefix),
        redis_sync=redis_sync,
        redis_async=redis_async,
    )


def _redis_clients(url: str | None) -> tuple[redis.Redis, aioredis.Redis]:
    """Real Redis when a URL is given; else one in-process fakeredis server for both."""
    if url is None:
        server = fakeredis.FakeServer()
        return fakeredis.FakeRedis(server=server), fakeredis.FakeAsyncRedis(server=server)
    return redis.Redis.from_url(url, **NO_RETRY), aioredis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
