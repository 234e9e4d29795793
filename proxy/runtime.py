"""Everything one proxy worker holds while it serves, built in the lifespan.

Nothing here connects at import time (clients belong to the lifespan): `Runtime.start` loads the
route table, opens the upstream sessions and Redis, starts the shadow sink, the
counter flush and the reload triggers; `stop` undoes them in reverse order.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import redis.asyncio

from proxy.applied import AppliedTables
from proxy.config import RoutesConfig
from proxy.exchange import NoShadow, ShadowDeps, ShadowSink
from proxy.forwarding import Forwarder
from proxy.guardrail import Guardrail
from proxy.guardrail.readiness import shadow_readiness
from proxy.history import HistoryRecorder, HistoryStore, RouteFigures
from proxy.instances import Instances
from proxy.reload import LoadFailure, Reloader, first_table
from proxy.routing import RouteTable
from proxy.settings import Settings
from proxy.stats import Stats
from proxy.upstreams import Upstreams
from proxy.websockets import WebSocketRelay

__all__ = ["Runtime", "ShadowFactory"]

log = logging.getLogger("strangler.proxy")

ShadowFactory = Callable[[ShadowDeps], ShadowSink]
AUTOPILOT_EVENTS = frozenset({"start", "step", "halted"})  # the rest are the guardrail's


class Runtime:
    """One worker's live state. `table` is swapped whole on reload.

    Parameters:
        settings: the environment.
        table: the route table loaded at start.
        redis: the shared client (fakeredis when REDIS_URL is unset).
        applied: the record of applied tables (with a shared Redis only, else None).
        refused: why routes.yaml was refused at start (the table is then the last
            applied), None when it was not.

    `draining` turns True when the server has stopped accepting (readyz says so).
    """

    def __init__(
        self,
        settings: Settings,
        table: RouteTable,
        redis: redis.asyncio.Redis,
        *,
        applied: AppliedTables | None,
        refused: LoadFailure | None,
    ) -> None:
        self.settings = settings
        self.table = table
        self.redis = redis
        self.draining = False
        self.upstreams = Upstreams(table.config, settings.upstream_overrides)
        self.stats = Stats(redis, settings.key_prefix)
        self.instances = Instances(redis, settings.key_prefix, lambda: self.table.loaded.revision)
        self.sink: ShadowSink = NoShadow()
        self.guardrail = Guardrail(
            redis, settings.key_prefix, lambda: self.table, shadow_readiness(lambda: self.sink)
        )
        self.forwarder = Forwarder(
            self.upstreams, self.stats, self.sink, self.guardrail, settings.edge
        )
        self.websockets = WebSocketRelay(self.upstreams, self.stats)
        self.reloader = Reloader(
            settings.routes_path,
            current=lambda: self.table,
            apply=self._install,
            count=self.stats.reload,
            store=applied,
            last_failure=refused,
        )
        self.applied = applied
        self.history = HistoryStore(redis, settings.key_prefix)
        self.figures = RouteFigures(redis, settings.key_prefix)
        self.recorder = HistoryRecorder(
            self.history,
            current=lambda: (self.table.config, self.table.loaded.revision),
            stats=self.stats.snapshot,
            interval=settings.history_interval,
            figures=self.figures,
            effective=lambda route: self.guardrail.position(route)[0].stage,
        )
        self.guardrail.store.listeners.append(self._record_guardrail_event)

    @classmethod
    async def start(cls, settings: Settings, shadow_factory: ShadowFactory | None) -> Runtime:
        """Load routes.yaml and start everything.

        Raises ConfigError when routes.yaml is refused and no earlier table is known
        to serve instead (`proxy.reload.first_table`).
        """
        if settings.redis_url:
            client = redis.asyncio.Redis.from_url(settings.redis_url)
            shared = True
        else:
            import fakeredis

            client = fakeredis.FakeAsyncRedis()
            shared = False
        applied = AppliedTables(client, settings.key_prefix) if shared else None
        try:
            loaded, refused = await first_table(
                settings.routes_path, store=applied, lock=settings.lock_path
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await client.aclose()
            raise
        runtime = cls(settings, RouteTable(loaded), client, applied=applied, refused=refused)
        if shadow_factory is not None:
            runtime.sink = shadow_factory(runtime.shadow_deps())
            runtime.forwarder.sink = runtime.sink
        await runtime.sink.start()
        runtime.stats.start()
        with contextlib.suppress(Exception):  # Redis away: the background round retries
            await runtime.guardrail.refresh()
        runtime.guardrail.start()
        runtime.instances.start()
        runtime.reloader.start(client if shared else None, settings.key_prefix)
        runtime.recorder.start()
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
    def shared(self) -> bool:
        """True when `redis` is a real server other workers see (REDIS_URL is set)."""
        return bool(self.settings.redis_url)

    @property
    def config(self) -> RoutesConfig:
        return self.table.config

    async def _record_guardrail_event(self, entry: dict[str, object]) -> None:
        """A guardrail trip or clear, or an autopilot step, on the migration's history."""
        event = str(entry.get("event", ""))
        kind = "autopilot" if event in AUTOPILOT_EVENTS else "guardrail"
        details = {k: v for k, v in entry.items() if k not in ("route", "reason", "at", "ts")}
        await self.history.add_event(
            kind=kind, reason=str(entry.get("reason", event)), route=str(entry.get("route")),
            details=details,
        )  # fmt: skip

    def _install(self, table: RouteTable) -> None:
        self.upstreams.update(table.config)
        self.table = table  # the one swap; requests in flight hold the old table
        self.guardrail.rebuild(table)  # overrides and autopilot steps, against the new file

    async def stop(self) -> None:
        await self.recorder.stop()
        await self.instances.stop()
        await self.reloader.stop()
        await self.guardrail.stop()
        if self.applied is not None:
            await self.applied.close()
        with contextlib.suppress(Exception):
            await self.sink.stop()
        await self.stats.stop()
        await self.upstreams.close()
        with contextlib.suppress(Exception):
            await self.redis.aclose()
