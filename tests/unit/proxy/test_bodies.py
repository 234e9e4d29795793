"""Request bodies: small ones read whole, larger ones streamed and counted, teed to a cap,
and every wait for the client bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from proxy.bodies import BodyTimeout, BodyTooLarge, ClientGone, RequestBody, Tee
from proxy.edge.limits import EdgeLimits
from proxy.types import Message

STREAM = EdgeLimits(body_buffer_bytes=1)  # every multi-message body is streamed


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


def test_a_streamed_body_passes_unchanged_and_is_teed_up_to_the_cap() -> None:
    async def scenario() -> None:
        parts = [b"ab", b"cd", b"ef"]
        messages = [{"type": "http.request", "body": p, "more_body": True} for p in parts]
        messages[-1]["more_body"] = False
        tee = Tee(4)
        body = RequestBody(receiver(*messages), 100, tee, STREAM)
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
        body = RequestBody(receiver(*messages), 100, None, STREAM)
        await body.start()
        with pytest.raises(ClientGone):
            await drain(body.payload())  # type: ignore[arg-type]
        assert body.gone

    asyncio.run(scenario())


def pieces(*parts: bytes) -> list[Message]:
    messages: list[Message] = [
        {"type": "http.request", "body": p, "more_body": True} for p in parts
    ]
    messages[-1]["more_body"] = False
    return messages


def test_a_small_body_in_several_messages_is_read_whole_before_anything_is_sent() -> None:
    async def scenario() -> None:
        edge = EdgeLimits(body_buffer_bytes=10)
        body = RequestBody(receiver(*pieces(b"ab", b"cd", b"ef")), 100, None, edge)
        await body.start(declared=6)
        assert body.replayable and body.payload() == b"abcdef"
        chunked = RequestBody(receiver(*pieces(b"ab", b"cd")), 100, None, edge)
        await chunked.start(declared=None)  # chunked: no length, read up to the buffer
        assert chunked.payload() == b"abcd"

    asyncio.run(scenario())


def test_a_body_past_the_buffer_is_streamed_from_where_the_buffer_ends() -> None:
    async def scenario() -> None:
        edge = EdgeLimits(body_buffer_bytes=4)
        body = RequestBody(receiver(*pieces(b"ab", b"cd", b"ef", b"gh")), 100, None, edge)
        await body.start(declared=None)
        assert not body.replayable
        assert await drain(body.payload()) == b"abcdefgh"  # type: ignore[arg-type]
        declared_large = RequestBody(receiver(*pieces(b"ab", b"cd")), 100, None, edge)
        await declared_large.start(declared=40)  # over the buffer: streamed at once
        assert not declared_large.replayable

    asyncio.run(scenario())


def slow(*parts: bytes, gap: float = 0.0, ends: bool = False):  # type: ignore[no-untyped-def]
    """A client that sends `parts`, each after `gap` seconds; then the body ends
    (`ends`) or nothing more comes."""
    queue = [{"type": "http.request", "body": p, "more_body": True} for p in parts]
    if ends:
        queue[-1]["more_body"] = False

    async def receive() -> Message:
        if not queue:
            await asyncio.sleep(3600)
        await asyncio.sleep(gap)
        return queue.pop(0)

    return receive


def test_an_idle_client_times_out_while_the_body_is_buffered() -> None:
    async def scenario() -> None:
        edge = EdgeLimits(body_timeout=0.05, body_min_rate=0)
        body = RequestBody(slow(b"a"), 200, None, edge)
        with pytest.raises(BodyTimeout, match=r"nothing for 0\.05 s"):
            await body.start(declared=200)
        assert body.timed_out and not body.replayable

    asyncio.run(scenario())


def over_the_limit():  # type: ignore[no-untyped-def]
    """Three messages of 4 bytes: 12 in all."""
    chunks = [{"type": "http.request", "body": b"x" * 4, "more_body": True}] * 3
    return receiver(*chunks, {"type": "http.request", "body": b""})


@pytest.mark.parametrize(
    ("source", "limit", "edge", "declared", "error", "flag"),
    [
        pytest.param(over_the_limit, 10, STREAM, None, BodyTooLarge, "too_large",
                     id="counted against the limit"),
        pytest.param(lambda: slow(b"ab", b"cd"), 100,
                     EdgeLimits(body_timeout=0.05, body_min_rate=0, body_buffer_bytes=1), 50,
                     BodyTimeout, "timed_out", id="stalled in the middle"),
    ],
)  # fmt: skip
def test_a_streamed_body_fails_while_it_is_read_and_says_why(
    source: Callable[[], Callable[[], Awaitable[Message]]],
    limit: int,
    edge: EdgeLimits,
    declared: int | None,
    error: type[Exception],
    flag: str,
) -> None:
    """Past `start` the body is a stream: what goes wrong shows while the proxy reads
    it on, as an exception and as the flag the access log reports."""

    async def scenario() -> None:
        body = RequestBody(source(), limit, None, edge)
        await body.start(declared=declared)
        assert not body.replayable
        with pytest.raises(error):
            await drain(body.payload())  # type: ignore[arg-type]
        assert getattr(body, flag) is True

    asyncio.run(scenario())


def test_a_trickle_that_is_never_idle_long_still_fails_the_minimum_rate() -> None:
    async def scenario() -> None:
        # A byte every 0.03 s is never idle past 0.1 s, but 33 bytes/s is under 1000.
        edge = EdgeLimits(body_timeout=0.1, body_min_rate=1000)
        body = RequestBody(slow(*[b"x"] * 100, gap=0.03), 200, None, edge)
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(BodyTimeout, match="under 1000 bytes/s"):
            await body.start(declared=200)
        assert loop.time() - began < 1.0  # grace 0.1 s plus what ~4 bytes buy

        fast = RequestBody(slow(*[b"x" * 100] * 4, gap=0.03, ends=True), 1000, None, edge)
        await fast.start(declared=400)  # 3,300 bytes/s: well over the minimum
        assert fast.payload() == b"x" * 400

    asyncio.run(scenario())
