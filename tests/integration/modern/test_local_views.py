"""Each worker's copies of rendered views (modern.repositories.views) against real Redis.

Two `RedisViews` on one key prefix stand for two workers. A copy saves the transfer
of the body and nothing else: whatever one worker writes or drops, the other sees
on its next read.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from modern.repositories.cache import Cache
from modern.repositories.views import GROUP_PREFIX, RedisViews
from modern.wire import Raw

KEY = ("room:r1", "summary:1")


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def _worker(client: redis.Redis, prefix: str, local_bytes: int = 1 << 20) -> RedisViews:
    return RedisViews(Cache(client, prefix), ttl=60, local_bytes=local_bytes)


def _bodies(views: RedisViews, keys: list[tuple[str, str]]) -> list[bytes | None]:
    """What `views` serves for `keys`, as bytes."""
    return [None if view is None else view.body for view in views.get_many(keys)]


def test_a_held_copy_is_served_without_its_body_while_redis_holds_its_version(
    client: redis.Redis, redis_prefix: str
) -> None:
    writer, reader = _worker(client, redis_prefix), _worker(client, redis_prefix)
    writer.put_many({KEY: b'{"n":1}'})
    (first,) = reader.get_many([KEY])
    assert isinstance(first, Raw) and first.value() == {"n": 1}
    # Change the stored body behind the version's back: a held copy is not re-read ...
    group = f"{redis_prefix}cache:{GROUP_PREFIX}{KEY[0]}"
    client.hset(group, KEY[1], b'{"n":"tampered"}')
    assert _bodies(reader, [KEY])[0] == b'{"n":1}'
    # ... until the version moves, as every write does.
    client.hset(group, "#" + KEY[1], b"another")
    assert _bodies(reader, [KEY])[0] == b'{"n":"tampered"}'


def test_another_workers_write_and_drop_are_seen_on_the_next_read(
    client: redis.Redis, redis_prefix: str
) -> None:
    one, two = _worker(client, redis_prefix), _worker(client, redis_prefix)
    other = ("room:r2", "summary:1")
    one.put_many({KEY: b"1", other: b"[]"})
    assert _bodies(two, [KEY, other]) == [b"1", b"[]"]
    two.put_many({KEY: b"2"})
    assert _bodies(one, [KEY, other]) == [b"2", b"[]"]
    one.drop([KEY[0]])
    assert _bodies(one, [KEY, other]) == [None, b"[]"]
    assert _bodies(two, [KEY, other]) == [None, b"[]"]
    assert one.local.version(KEY) is not None  # still held, but never served again


def test_without_copies_every_read_fetches_the_body(client: redis.Redis, redis_prefix: str) -> None:
    plain = _worker(client, redis_prefix, local_bytes=0)
    plain.put_many({KEY: b"1"})
    assert plain.local.size == 0
    client.hset(f"{redis_prefix}cache:{GROUP_PREFIX}{KEY[0]}", KEY[1], b"2")
    assert _bodies(plain, [KEY]) == [b"2"]


def test_a_view_without_a_version_is_a_miss(client: redis.Redis, redis_prefix: str) -> None:
    """A body stored by a release before versions (or half-written by hand) is rebuilt."""
    views = _worker(client, redis_prefix)
    client.hset(f"{redis_prefix}cache:{GROUP_PREFIX}{KEY[0]}", KEY[1], b"old")
    assert _bodies(views, [KEY]) == [None]
