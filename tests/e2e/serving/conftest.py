"""Fixtures of the serving tests: a foreign upstream app and a 2-worker proxy before it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.serving.proxies import Proxy, run_proxy
from tests.support.servers import RunningServer, run_app


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    with run_app("tests.support.upstreams:app", env={"UPSTREAM_NAME": "legacy"}) as server:
        yield server


@pytest.fixture
def proxy(
    upstream: RunningServer, redis_url: str, redis_prefix: str, tmp_path: Path
) -> Iterator[Proxy]:
    with run_proxy(upstream, redis_url, redis_prefix, tmp_path) as running:
        yield running
