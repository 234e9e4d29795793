"""Request bodies: whole when they come whole, streamed and counted otherwise, teed to a cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from proxy.bodies import BodyTooLarge, ClientGone, RequestBody, Tee
from proxy.types import Message


def receiver(*messages: Message):  # type: ignore[no-untyped-def]
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return receive


async def drain(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


def test_a_body_in_one_message_is_kept_whole_and_replayable() -> None:
    async def scenario() -> None:
        body = RequestBody(receiver({"type": "http.request", "body": b"abc"}), 10, None)
        await body.start()
        assert body.replayable and body.payload() == b"abc"

    asyncio.run(scenario())


def test_a_streamed_body_is_counted_against_the_limit() -> None:
    async def scenario() -> None:
        chunks = [{"type": "http.request", "body": b"x" * 4, "more_body": True}] * 3
        body = RequestBody(receiver(*chunks, {"type": "http.request", "body": b""}), 10, None)
        await body.start()
        assert not body.replayable
        with pytest.raises(BodyTooLarge):
            await drain(body.payload())  # type: ignore[arg-type]
        assert body.too_large

    asyncio.run(scenario())


def test_a_streamed_body_passes_unchanged_and_is_teed_up_to_the_cap() -> None:
    async def scenario() -> None:
        parts = [b"ab", b"cd", b"ef"]
        messages = [{"type": "http.request", "body": p, "more_body": True} for p in parts]
        messages[-1]["more_body"] = False
        tee = Tee(4)
        body = RequestBody(receiver(*messages), 100, tee)
        await body.start()
        assert await drain(body.payload()) == b"abcdef"  # type: ignore[arg-type]
        assert tee.value() is None and tee.skipped == "body over 4 bytes"
        small = Tee(10)
        small.feed(b"abc")
        assert small.value() == b"abc" and small.skipped is None

    asyncio.run(scenario())


def test_a_client_that_leaves_mid_body_is_noticed() -> None:
    async def scenario() -> None:
        messages = [
            {"type": "http.request", "body": b"ab", "more_body": True},
            {"type": "http.disconnect"},
        ]
        body = RequestBody(receiver(*messages), 100, None)
        await body.start()
        with pytest.raises(ClientGone):
            await drain(body.payload())  # type: ignore[arg-type]
        assert body.gone

    asyncio.run(scenario())
