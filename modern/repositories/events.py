"""Live events over Redis pub/sub, so a WebSocket client on any worker (or any modern
process sharing the Redis prefix) receives events posted through any other.

Publishing is synchronous (services run in the threadpool); each process runs one
subscriber task that hands every event to a local delivery callback. When Redis is
down, an event is delivered locally only (this process's clients), never an error
for the request that caused it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import redis
import redis.asyncio as aioredis

from modern.wire import dumps

log = logging.getLogger("modern.events")
Deliver = Callable[[str, str], Awaitable[None]]
RECONNECT_DELAY = 1.0


class RedisEventBus:
    """Parameters: publisher — sync Redis client; subscriber — asyncio Redis client;
    prefix — key prefix (the channel is `<prefix>events`); local — sync fallback that
    delivers in this process when publishing fails."""

    def __init__(
        self,
        publisher: redis.Redis,
        subscriber: aioredis.Redis,
        prefix: str,
        local: Callable[[str, str], None] | None = None,
    ) -> None:
        self._publisher = publisher
        self._subscriber = subscriber
        self.channel = prefix + "events"
        self.local = local
        self.ready = asyncio.Event()

    def publish(self, room_id: str, event: Mapping[str, Any]) -> None:
        text = dumps(event).decode("utf-8")
        envelope = json.dumps({"room_id": room_id, "event": text})
        try:
            self._publisher.publish(self.channel, envelope)
        except redis.RedisError as exc:
            log.warning("event bus unavailable, delivering locally only: %s", exc)
            self._deliver_locally(room_id, text)

    def _deliver_locally(self, room_id: str, text: str) -> None:
        """Best effort: a live event must never fail the write that caused it."""
        if self.local is None:
            return
        try:
            self.local(room_id, text)
        except Exception as exc:
            log.warning("local delivery failed: %s", exc)

    async def run(self, deliver: Deliver) -> None:
        """Forward every event to `deliver(room_id, text)` until cancelled; reconnects."""
        while True:
            try:
                async with self._subscriber.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.ready.set()
                    async for message in pubsub.listen():
                        await self._forward(message, deliver)
            except (redis.RedisError, OSError) as exc:
                self.ready.clear()
                log.warning("event subscriber lost redis, retrying: %s", exc)
                await asyncio.sleep(RECONNECT_DELAY)

    @staticmethod
    async def _forward(message: Mapping[str, Any], deliver: Deliver) -> None:
        if message.get("type") != "message":
            return
        try:
            envelope = json.loads(message["data"])
            await deliver(str(envelope["room_id"]), str(envelope["event"]))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("dropped a malformed event: %s", exc)
