"""The proxy's ASGI entry point: `proxy.app:app`.

`ProxyApp` is the whole request path: one type check, one prefix check, then the
data path (`Forwarder` for HTTP, `WebSocketRelay` for WebSockets) with the route
table in force at that moment. No middleware stack wraps it. The admin app
(Starlette) answers under `/_strangler/`. The ASGI lifespan builds the `Runtime`
(routes, upstream sessions, Redis, shadow sink, reload triggers) and tears it down.
`drain()` is the server's word that it has stopped accepting (`strangler serve` on
SIGTERM or a restart): readyz turns false and open WebSockets close with 1001.
"""

from __future__ import annotations

import logging

from proxy.admin import AdminRoutes, build_admin
from proxy.config import ConfigError
from proxy.responses import send_error
from proxy.runtime import Runtime, ShadowFactory
from proxy.settings import Settings
from proxy.shadow import create_shadow, shadow_admin_routes
from proxy.types import Receive, Scope, Send

__all__ = ["ADMIN_PREFIX", "ProxyApp", "app", "create_app"]

log = logging.getLogger("strangler.proxy")

ADMIN_PREFIX = "/_strangler"


class ProxyApp:
    """The proxy as one ASGI callable.

    Parameters:
        shadow_factory: builds the shadow sink from `ShadowDeps` in the lifespan;
            None means `NoShadow`.
        admin_routes: extra `/_strangler/` routes built from a sink getter (e.g.
            `proxy.shadow.shadow_admin_routes`), behind the admin token.
        settings: configuration; None reads the environment at start-up.
    """

    def __init__(
        self,
        *,
        shadow_factory: ShadowFactory | None = None,
        admin_routes: AdminRoutes | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.shadow_factory = shadow_factory
        self.settings = settings
        self.runtime: Runtime | None = None
        self.admin = build_admin(lambda: self.runtime, ADMIN_PREFIX, admin_routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        runtime = self.runtime
        if kind == "http":
            path: str = scope["path"]
            if path.startswith(ADMIN_PREFIX) and (
                len(path) == len(ADMIN_PREFIX) or path[len(ADMIN_PREFIX)] == "/"
            ):
                await self.admin(scope, receive, send)
            elif runtime is None:
                await send_error(send, 503, "not_ready", "the proxy is starting", "-")
            else:
                await runtime.forwarder(scope, receive, send, runtime.table)
        elif kind == "websocket":
            if runtime is None:
                await send({"type": "websocket.close", "code": 1013})
            else:
                await runtime.websockets(scope, receive, send, runtime.table)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def drain(self) -> None:
        """The server stopped accepting: say so in readyz, leave the instance registry,
        close WebSockets with 1001."""
        runtime = self.runtime
        if runtime is not None:
            runtime.draining = True
            await runtime.instances.stop()
            await runtime.websockets.going_away()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    settings = self.settings or Settings.from_env()
                    self.runtime = await Runtime.start(settings, self.shadow_factory)
                except ConfigError as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                except Exception as exc:
                    log.exception("proxy start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.runtime is not None:
                    await self.runtime.stop()
                    self.runtime = None
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(
    *,
    shadow_factory: ShadowFactory | None = None,
    admin_routes: AdminRoutes | None = None,
    settings: Settings | None = None,
) -> ProxyApp:
    """A proxy app; the real shadow sink is wired in through `shadow_factory`.

    For example `create_app(shadow_factory=create_shadow, admin_routes=shadow_admin_routes)`.
    """
    return ProxyApp(shadow_factory=shadow_factory, admin_routes=admin_routes, settings=settings)


# The served app compares shadowed routes; `create_app()` alone gives a proxy without
# shadowing (tests of the data path use that).
app = create_app(shadow_factory=create_shadow, admin_routes=shadow_admin_routes)
