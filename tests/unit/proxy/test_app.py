"""The ASGI entry point: lifespan, dispatch, and the public surface it exports."""

from __future__ import annotations

import asyncio
from pathlib import Path

import proxy.app
from proxy.app import create_app
from proxy.settings import Settings
from proxy.types import Message

GOOD = """\
version: 1
upstreams:
  legacy: {url: "http://127.0.0.1:9"}
  modern: {url: "http://127.0.0.1:9"}
routes:
  - {id: a, path: /a, stage: legacy}
"""


def settings(path: Path) -> Settings:
    return Settings(routes_path=path, upstream_overrides={}, redis_url=None)


async def lifespan(app: proxy.app.ProxyApp, *events: str) -> list[Message]:
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    for event in events:
        inbox.put_nowait({"type": event})
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, inbox.get, send)
    return sent


def test_the_public_surface_is_pinned() -> None:
    assert proxy.app.__all__ == ["ADMIN_PREFIX", "ProxyApp", "app", "create_app"]
    assert isinstance(proxy.app.app, proxy.app.ProxyApp)


def test_an_invalid_routes_file_fails_start_up_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD.replace("stage: legacy", "stage: nowhere"))
    app = create_app(settings=settings(path))
    sent = asyncio.run(lifespan(app, "lifespan.startup"))
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert f"{path}:6: route 'a': stage" in sent[0]["message"]
    assert app.runtime is None


def test_start_up_and_shut_down_build_and_drop_the_runtime(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(GOOD)
    app = create_app(settings=settings(path))

    async def scenario() -> list[str]:
        inbox: asyncio.Queue[Message] = asyncio.Queue()
        sent: list[str] = []

        async def send(message: Message) -> None:
            sent.append(message["type"])

        task = asyncio.create_task(app({"type": "lifespan"}, inbox.get, send))
        inbox.put_nowait({"type": "lifespan.startup"})
        while not sent:
            await asyncio.sleep(0.01)
        assert app.runtime is not None and app.runtime.table.config.routes[0].id == "a"
        inbox.put_nowait({"type": "lifespan.shutdown"})
        await task
        return sent

    assert asyncio.run(scenario()) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert app.runtime is None


def test_requests_before_start_up_get_a_503_json(tmp_path: Path) -> None:
    app = create_app(settings=settings(tmp_path / "routes.yaml"))
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/a", "headers": [], "query_string": b""}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 503
    assert b'"not_ready"' in sent[1]["body"]
