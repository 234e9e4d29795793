"""The cache-aside helper: hits, misses, TTL 0 = off, and the outage circuit."""

from __future__ import annotations

import fakeredis
import redis

from modern.repositories.cache import Cache
from modern.repositories.clients import NO_RETRY
from strangler.embedded_db import free_port


def test_remember_loads_once_then_hits() -> None:
    cache = Cache(fakeredis.FakeRedis(), "p:")
    loads: list[int] = []

    def load() -> dict[str, int]:
        loads.append(1)
        return {"n": len(loads)}

    assert cache.remember("k", 60, load) == {"n": 1}
    assert cache.remember("k", 60, load) == {"n": 1}
    assert len(loads) == 1 and cache.hits == 1
    cache.delete("k")
    assert cache.remember("k", 60, load) == {"n": 2}
    assert cache.remember("off", 0, load) == {"n": 3}
    assert cache.remember("off", 0, load) == {"n": 4}  # TTL 0: never cached


def test_an_outage_is_a_miss_and_opens_the_circuit() -> None:
    down = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", **NO_RETRY)
    cache = Cache(down, "p:")
    assert cache.remember("k", 60, lambda: "fresh") == "fresh"
    assert cache.errors == 1
    # Within the backoff nothing is tried: no further errors, no waiting.
    assert cache.get_many(["a", "b"]) == [None, None]
    cache.set_many({"a": 1}, 60)
    cache.delete("a")
    assert cache.errors == 1
