"""fakeredis that fails the way a real Redis under trouble does, for the counter tests.

`down`: every pipeline fails before sending (a refused connection).
`lose_replies`: that many transactions are applied, then their reply is lost (a stall
longer than the client waits, after the commands reached Redis).
`hold`: the next transaction reaches Redis (its WATCH is in force) but runs only when
the test calls it from `held`, and the client is told it timed out: Redis running
commands that waited in a socket after the client gave up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import fakeredis
import redis.exceptions


class FlakyRedis(fakeredis.FakeAsyncRedis):
    def __init__(self) -> None:
        self._server = fakeredis.FakeServer()
        super().__init__(server=self._server)
        self.down = False
        self.lose_replies = 0
        self.hold = False
        self.held: list[Callable[[], Awaitable[Any]]] = []

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        if self.down:
            raise redis.exceptions.ConnectionError("redis away")
        pipe = super().pipeline(transaction, shard_hint)
        real_execute, real_watch = pipe.execute, pipe.watch
        watched: list[Any] = []

        async def watch(*names: Any) -> Any:
            watched.extend(names)
            return await real_watch(*names)

        async def execute(raise_on_error: bool = True) -> Any:
            if self.hold and transaction:
                self.hold = False
                self.held.append(await self._late_copy(watched, pipe.command_stack))
                raise redis.exceptions.TimeoutError("Timeout reading from redis")
            replies = await real_execute(raise_on_error)
            if self.lose_replies and transaction:
                self.lose_replies -= 1
                raise redis.exceptions.TimeoutError("Timeout reading from redis")
            return replies

        pipe.watch, pipe.execute = watch, execute  # type: ignore[method-assign]
        return pipe

    async def _late_copy(
        self, watched: list[Any], commands: list[tuple[Any, Any]]
    ) -> Callable[[], Awaitable[Any]]:
        """The same transaction on a connection of its own, WATCHing now, run later."""
        late = fakeredis.FakeAsyncRedis(server=self._server).pipeline(transaction=True)
        if watched:
            await late.watch(*watched)
        late.multi()
        for args, options in commands:
            late.execute_command(*args, **options)
        return late.execute
