"""The composition root: `app = create_app()`, served as `modern.app:app`.

The lifespan reads the settings, opens the MongoDB and Redis clients, builds the
repositories and services, ensures the indexes and starts this process's event
subscriber and change feed (writes made by legacy drop our caches). Shutdown stops
them, and the pool of background view rebuilds, before the clients close. Nothing
connects at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import anyio.from_thread
from fastapi import FastAPI

from modern.api import Hub, Services, install_error_handlers, install_routes
from modern.readmodel import Views
from modern.repositories.changes import MongoChangeFeed
from modern.repositories.clients import open_storage
from modern.services import ChangeRules
from modern.settings import Settings

log = logging.getLogger("modern")


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = Settings.from_env()
    storage = await asyncio.to_thread(open_storage, settings)
    hub = Hub()
    storage.events.local = lambda room_id, text: anyio.from_thread.run(hub.deliver, room_id, text)
    app.state.settings = settings
    app.state.storage = storage
    app.state.hub = hub
    views = Views(storage.views)
    app.state.services = Services.build(storage, views)
    subscriber = asyncio.create_task(storage.events.run(hub.deliver), name="modern-events")
    feed = MongoChangeFeed(storage.changes, [storage.forget, ChangeRules(views, storage.rooms)])
    if settings.change_feed:
        await asyncio.to_thread(feed.start)
    app.state.change_feed = feed
    try:
        yield
    finally:
        await asyncio.to_thread(feed.stop)
        await asyncio.to_thread(storage.refresher.close)  # background rebuilds, bounded
        subscriber.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await subscriber
        await storage.redis_async.aclose()
        storage.close()


def create_app() -> FastAPI:
    app = FastAPI(title="modern social API", version="1.0", lifespan=lifespan)
    install_error_handlers(app)
    install_routes(app)
    return app


app = create_app()
