"""Everything one proxy worker holds while it serves, built in the lifespan.

Nothing here connects at import time (STYLE.md #7): `Runtime.start` loads the
route table, opens the upstream sessions and Redis, starts the shadow sink, the
counter flush and the reload triggers; `stop` undoes them in reverse order.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import redis.asyncio

from proxy.config import RoutesConfig, load_routes
from proxy.exchange import NoShadow, ShadowDeps, ShadowSink
from proxy.forwarding import Forwarder
from proxy.instances import Instances
from proxy.reload import Reloader
from proxy.routing import RouteTable
from proxy.settings import Settings
from proxy.stats import Stats
from proxy.upstreams import Upstreams
from proxy.websockets import WebSocketRelay

__all__ = ["Runtime", "ShadowFactory"]

log = logging.getLogger("strangler.proxy")

ShadowFactory = Callable[[ShadowDeps], ShadowSink]


class Runtime:
    """One worker's live state. `table` is swapped whole on reload.

    Parameters:
        settings: the environment.
        table: the route table loaded at start.
        redis: the shared client (fakeredis when REDIS_URL is unset).
        shared: True when `redis` is a real server other workers see.

    `draining` turns True when the server has stopped accepting (readyz says so).
    """

    def __init__(
        self, settings: Settings, table: RouteTable, redis: redis.asyncio.Redis, *, shared: bool
    ) -> None:
        self.settings = settings
        self.table = table
        self.redis = redis
        self.shared = shared
        self.draining = False
        self.upstreams = Upstreams(table.config, settings.upstream_overrides)
        self.stats = Stats(redis, settings.key_prefix)
        self.instances = Instances(redis, settings.key_prefix, lambda: self.table.loaded.revision)
        self.sink: ShadowSink = NoShadow()
        self.forwarder = Forwarder(self.upstreams, self.stats, self.sink)
        self.websockets = WebSocketRelay(self.upstreams, self.stats)
        self.reloader = Reloader(
            settings.routes_path,
            current=lambda: self.table,
            apply=self._install,
            count=self.stats.reload,
        )

    @classmethod
    async def start(cls, settings: Settings, shadow_factory: ShadowFactory | None) -> Runtime:
        """Load routes.yaml (raising ConfigError if it is invalid) and start everything."""
        table = RouteTable(load_routes(settings.routes_path))
        if settings.redis_url:
            client = redis.asyncio.Redis.from_url(settings.redis_url)
            shared = True
        else:
            import fakeredis

            client = fakeredis.FakeAsyncRedis()
            shared = False
        runtime = cls(settings, table, client, shared=shared)
        if shadow_factory is not None:
            runtime.sink = shadow_factory(runtime.shadow_deps())
            runtime.forwarder.sink = runtime.sink
        await runtime.sink.start()
        runtime.stats.start()
        runtime.instances.start()
        runtime.reloader.start(client if shared else None, settings.key_prefix)
        return runtime

    def shadow_deps(self) -> ShadowDeps:
        return ShadowDeps(
            routes=lambda: self.table.config,
            redis=self.redis,
            key_prefix=self.settings.key_prefix,
            session=self.upstreams.session,
            upstream_url=self.upstreams.url,
        )

    @property
    def config(self) -> RoutesConfig:
        return self.table.config

    def _install(self, table: RouteTable) -> None:
        self.upstreams.update(table.config)
        self.table = table  # the one swap; requests in flight hold the old table

    async def stop(self) -> None:
        await self.instances.stop()
        await self.reloader.stop()
        with contextlib.suppress(Exception):
            await self.sink.stop()
        await self.stats.stop()
        await self.upstreams.close()
        with contextlib.suppress(Exception):
            await self.redis.aclose()
