"""Through the real proxy: users get legacy's answers, the sink compares in the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.metrics import sample
from tests.support.servers import run_app

pytestmark = pytest.mark.redis


def routes_file(tmp_path: Path, legacy: str, modern: str, isolated: str) -> Path:
    path = tmp_path / "routes.yaml"
    config = {
        "version": 1,
        "upstreams": {
            "legacy": {"url": legacy},
            "modern": {"url": modern},
            "shadow-db": {"url": isolated},
        },
        "routes": [
            {"id": "list-rooms", "path": "/api/rooms", "stage": "shadow"},
            {
                "id": "list-users",
                "path": "/api/users",
                "stage": "shadow",
                "compare": {"lists": "prefix"},
            },
            {"id": "create-room", "methods": ["POST"], "path": "/api/rooms/new", "stage": "legacy"},
            {
                "id": "echo",
                "methods": ["GET", "POST"],
                "path": "/api/echo",
                "stage": "shadow",
                "shadow": {"upstream": "shadow-db"},
            },
            {"id": "redirect", "path": "/api/redirect", "stage": "shadow"},
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def settle(client: httpx.Client, done: Callable[[dict], bool]) -> dict:
    deadline = time.monotonic() + 30
    while True:
        status = client.get("/_strangler/api/status").json()
        routes = {r["id"]: r for r in status["routes"]}
        if done(routes):
            return routes
        if time.monotonic() > deadline:
            pytest.fail(f"shadow outcomes did not arrive: {routes}")
        time.sleep(0.1)


def test_shadowed_routes_compare_behind_the_users_back(
    upstream: Callable[..., str], redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    legacy, modern = upstream("legacy"), upstream("modern", "changed")
    isolated = upstream("modern")
    env = {
        "STRANGLER_ROUTES": str(routes_file(tmp_path, legacy, modern, isolated)),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_prefix,
        "STRANGLER_ADMIN_TOKEN": "",
        "STRANGLER_ADMIN_OPEN": "1",  # the shadow control below is a state change
    }
    with (
        run_app("proxy.app:app", env=env) as proxy,
        httpx.Client(base_url=proxy.url, timeout=10) as client,
    ):
        direct = httpx.get(legacy + "/api/rooms").json()
        headers = {"authorization": "Bearer secret-user-token"}
        for _ in range(3):
            assert client.get("/api/rooms", headers=headers).json() == direct
            assert len(client.get("/api/users").json()) == 12  # legacy's whole list
        # The mirror repeats the user's method, raw query, body and headers, and never
        # follows a redirect (a followed one would compare 200 against legacy's 302).
        user = {"x-custom": "v", "authorization": "Bearer t", "content-type": "text/plain"}
        client.get("/api/echo?a=1&b=%20x&a=2", headers=user)
        client.post("/api/echo?q=%2F", content="payload ✓".encode(), headers=user)
        assert client.get("/api/redirect").status_code == 302
        routes = settle(
            client,
            lambda r: (
                r["list-rooms"]["shadow"]["compared"] == 3
                and r["list-users"]["shadow"]["compared"] == 3
                and r["echo"]["shadow"]["compared"] == 2
                and r["redirect"]["shadow"]["compared"] == 1
            ),
        )
        assert routes["echo"]["shadow"]["matched"] == 2, routes["echo"]["shadow"]
        assert routes["redirect"]["shadow"]["matched"] == 1
        assert routes["list-rooms"]["shadow"]["mismatched"] == 3
        assert routes["list-users"]["shadow"]["matched"] == 3
        answer = client.get("/_strangler/api/routes/list-rooms/diffs").json()
        diffs = answer["diffs"] if isinstance(answer, dict) else answer
        assert {d["path"] for d in diffs} == {"[*].members[*].display_name"}
        assert "secret-user-token" not in repr(diffs)
        control = client.post("/_strangler/api/routes/list-rooms/shadow", json={"sample_rate": 0})
        assert control.status_code == 200, control.text
        client.get("/api/rooms")
        routes = settle(client, lambda r: r["list-rooms"]["shadow"]["sampled_out"] == 1)
        assert routes["list-rooms"]["shadow"]["compared"] == 3
        metrics = client.get("/_strangler/metrics").text
        outcomes = "strangler_shadow_outcomes_total"
        assert sample(metrics, outcomes, route="list-rooms", outcome="mismatched") == 3
