"""A foreign app pair, and a real proxy over it with a routes.yaml of the test's own."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.servers import run_app

APP = "tests.integration.evidence.apps:app"
SETTLE_SECONDS = 30.0


@dataclass(frozen=True)
class Pair:
    legacy: str
    modern: str

    def steer(self, **state: object) -> None:
        """Change modern at run time (`planted`, `version`), as a deploy would."""
        httpx.post(self.modern + "/_control", json=state, timeout=5).raise_for_status()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with (
        run_app(APP, env={"INVOICE_ROLE": "legacy"}) as legacy,
        run_app(APP, env={"INVOICE_ROLE": "modern"}) as modern,
    ):
        yield Pair(legacy.url, modern.url)


@dataclass
class Proxy:
    client: httpx.Client
    routes_file: Path
    pair: Pair

    def reload(self, *routes: dict[str, Any]) -> None:
        write_routes(self.routes_file, self.pair, routes)
        answer = self.client.post("/_strangler/api/reload")
        assert answer.status_code == 200 and answer.json()["result"] == "applied", answer.text

    def route(self, route_id: str) -> dict[str, Any]:
        status = self.client.get("/_strangler/api/status").json()
        return next(r for r in status["routes"] if r["id"] == route_id)

    def until(self, route_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Poll the route's status entry until `done(entry)`; fail with the last one."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            entry = self.route(route_id)
            if done(entry):
                return entry
            if time.monotonic() > deadline:
                pytest.fail(f"route {route_id} did not settle: {entry}")
            time.sleep(0.1)


def write_routes(path: Path, pair: Pair, routes: tuple[dict[str, Any], ...]) -> None:
    document = {
        "version": 1,
        "upstreams": {"legacy": {"url": pair.legacy}, "modern": {"url": pair.modern}},
        "routes": list(routes),
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))


@contextmanager
def proxy_over(
    pair: Pair,
    tmp_path: Path,
    redis_url: str,
    prefix: str,
    *routes: dict[str, Any],
    workers: int = 1,
) -> Iterator[Proxy]:
    routes_file = tmp_path / "routes.yaml"
    write_routes(routes_file, pair, routes)
    env = {
        "STRANGLER_ROUTES": str(routes_file),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        "STRANGLER_ADMIN_TOKEN": "",
        "STRANGLER_ADMIN_OPEN": "1",  # the tests reload and reset without a token
        "LEGACY_URL": "",
        "MODERN_URL": "",
    }
    with (
        run_app(
            "proxy.app:app", env=env, ready_path="/_strangler/healthz", workers=workers
        ) as server,
        # A new connection per request when several workers serve: any of them may answer.
        httpx.Client(
            base_url=server.url,
            timeout=10,
            limits=httpx.Limits(max_keepalive_connections=0 if workers > 1 else None),
        ) as client,
    ):
        yield Proxy(client, routes_file, pair)
