"""The guardrail's foreign app pair, a proxy over it, and small readers.

Legacy and modern are two processes of `tests.integration.guardrail.upstreams:app`;
tests switch modern's behaviour per path through its `/_control` endpoint while
`traffic.Traffic` keeps a stream of requests going through the proxy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from tests.integration.proxy.conftest import Proxy, Upstreams, run_proxy, upstream_pair

APP = "tests.integration.guardrail.upstreams:app"


@pytest.fixture(scope="module")
def pair() -> Iterator[Upstreams]:
    with upstream_pair(APP, "APP_ROLE") as running:
        yield running


StartProxy = Callable[[str | None], AbstractContextManager[Proxy]]


@pytest.fixture
def start_proxy(redis_env: dict[str, str], tmp_path: Path) -> StartProxy:
    """`start_proxy(text)`: a proxy of two workers serving `text` (None: the routes.yaml
    in `tmp_path` as it stands), sharing Redis under this test's prefix. The guardrail's
    and the autopilot's decisions live there: a second start shows what survives."""

    def start(text: str | None) -> AbstractContextManager[Proxy]:
        routes_file = tmp_path / "routes.yaml"
        text = routes_file.read_text() if text is None else text
        return run_proxy(routes_file, text, env=redis_env, workers=2)

    return start


def control(server_url: str, path: str, *, fail_every: int = 0, slow: float = 1.0) -> None:
    params = {"path": path, "fail_every": str(fail_every), "slow": str(slow)}
    httpx.post(server_url + "/_control", params=params, timeout=5).raise_for_status()


def wait_for(check: object, *, timeout: float, step: float = 0.1) -> object:
    """Poll `check()` until it returns something truthy; that value, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()  # type: ignore[operator]
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout:g} s (last value {value!r})")
        time.sleep(step)


def status_routes(http: httpx.Client, base_url: str) -> dict[str, dict[str, object]]:
    status = http.get(base_url + "/_strangler/api/status").json()
    return {route["id"]: route for route in status["routes"]}
