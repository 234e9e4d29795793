"""Hostile clients against a real proxy: uvicorn with the edge protocol, real sockets.

Each test module starts its own proxy (limits set through the environment, as an
operator would) in front of `upstream.recording_upstream`, which records what
reached it byte for byte. The route timeout is long (30 s) on purpose: a request
that waited on the upstream pool would show up as a wait of that order.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from strangler.stack import EDGE_PROTOCOL
from tests.integration.hostile.upstream import Seen, recording_upstream
from tests.integration.proxy.conftest import Proxy, run_proxy

ROUTE_TIMEOUT = 30


def routes_for(upstream_url: str, pool_size: int) -> str:
    options = f"url: {upstream_url!r}, timeout: {ROUTE_TIMEOUT}, pool_size: {pool_size}"
    return textwrap.dedent(
        f"""\
        version: 1
        upstreams:
          legacy: {{{options}}}
          modern: {{{options}}}
        routes:
          - {{id: echo, methods: [GET, POST, PUT], path: /echo, stage: legacy}}
          - {{id: upload, methods: [POST, PUT], path: /upload, stage: legacy}}
        """
    )


@contextmanager
def edge_proxy(
    directory: Path,
    upstream_url: str,
    env: Mapping[str, str],
    *,
    pool_size: int = 256,
    extra_routes: str = "",
) -> Iterator[Proxy]:
    """The proxy as `strangler serve proxy` runs it (the edge protocol), with `env`;
    `extra_routes` are more lines for the routes list (indented two spaces)."""
    routes = routes_for(upstream_url, pool_size) + extra_routes
    with run_proxy(directory / "routes.yaml", routes, env=env, http=EDGE_PROTOCOL) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, Seen]]:
    """The module's recording upstream: its URL, and what reached it."""
    with recording_upstream() as running:
        yield running


def edge_proxy_fixture(
    env: Mapping[str, str], *, pool_size: int = 256
) -> Callable[..., Iterator[Proxy]]:
    """A module's `proxy` fixture: `edge_proxy` with these limits in front of `upstream`,
    one for the whole module (`proxy = edge_proxy_fixture({...})`)."""

    @pytest.fixture(scope="module")
    def proxy(
        upstream: tuple[str, Seen], tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Proxy]:
        directory = tmp_path_factory.mktemp("edge")
        with edge_proxy(directory, upstream[0], env, pool_size=pool_size) as running:
            yield running

    return proxy
