"""A database and a Redis key prefix of a test's own, removed afterwards.

Every suite isolates itself the same way, whatever the fixture's scope, so that a run
never depends on what an earlier run (or a parallel one) left behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pymongo
import redis
from pymongo.database import Database


@contextmanager
def fresh_database(server_uri: str, label: str = "t") -> Iterator[str]:
    """Yield a URI naming a new database on `server_uri`; drop the database afterwards."""
    name = f"{label}_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{server_uri}/{name}"
    finally:
        client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(server_uri)
        try:
            client.drop_database(name)
        finally:
            client.close()


@contextmanager
def open_database(uri: str) -> Iterator[Database[dict[str, Any]]]:
    """The database `uri` names, read as the apps read it (aware datetimes), for a test to
    check what was stored or write what no request can; the client is closed afterwards."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(uri, tz_aware=True)
    try:
        yield client.get_default_database()
    finally:
        client.close()


@contextmanager
def fresh_redis_prefix(redis_url: str) -> Iterator[str]:
    """Yield a key prefix no other test uses; delete its keys afterwards."""
    prefix = f"strangler-test:{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
