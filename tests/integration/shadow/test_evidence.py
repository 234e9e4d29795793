"""Evidence in real Redis: bounded per path, newest first, redacted, shared by workers."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from proxy.exchange import CapturedRequest
from proxy.shadow.diff import Difference
from proxy.shadow.evidence import EvidenceStore, make_sample
from proxy.shadow.outcomes import OutcomeStore

pytestmark = pytest.mark.redis


def request(i: int) -> CapturedRequest:
    return CapturedRequest(
        "home",
        "GET",
        "/api/home",
        f"page={i}&token=tok-{i}",
        {},
        (("authorization", f"Bearer hdr-{i}"),),
        b"",
        f"req-{i}",
    )


def test_reservoir_is_bounded_per_path_and_newest_first(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> list[dict[str, object]]:
        client = redis.asyncio.Redis.from_url(redis_url)
        store = EvidenceStore(client, redis_prefix)
        try:
            for i in range(30):
                diff = Difference("changed", "rooms[*].name", f"rooms[{i}].name", f"a{i}", f"b{i}")
                store.add(make_sample("home", diff, request(i)), keep=5)
                if i % 7 == 0:
                    await store.flush()
            other = Difference("missing", "user.bio", "user.bio", "x", None)
            store.add(make_sample("home", other, request(99)), keep=5)
            await store.flush()
            assert await client.llen(f"{redis_prefix}shadow:home:evidence:rooms[*].name") == 5
            return await store.recent("home")
        finally:
            await client.aclose()

    samples = asyncio.run(scenario())
    assert [s["at"] for s in samples] == [
        "user.bio",
        "rooms[29].name",
        "rooms[28].name",
        "rooms[27].name",
        "rooms[26].name",
        "rooms[25].name",
    ]
    text = repr(samples)
    assert "tok-" not in text and "hdr-" not in text and "page=29" in text


def test_two_workers_share_counts(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> tuple[dict[str, int], dict[str, int]]:
        one_client = redis.asyncio.Redis.from_url(redis_url)
        two_client = redis.asyncio.Redis.from_url(redis_url)
        one, two = OutcomeStore(one_client, redis_prefix), OutcomeStore(two_client, redis_prefix)
        try:
            one.count("home", "matched", 3)
            two.count("home", "matched", 2)
            two.count("home", "diff:x")
            one.latency("home", "modern", 0.5)
            await one.flush()
            await two.flush()
            totals, latency = await one.read("home")
            await one.flush()
            return totals, {side: len(v) for side, v in latency.items()}
        finally:
            await one_client.aclose()
            await two_client.aclose()

    totals, latency = asyncio.run(scenario())
    assert totals == {"matched": 5, "diff:x": 1}
    assert latency == {"legacy": 0, "modern": 1}
