"""Real upstreams and real proxies for the proxy's integration tests.

Two instances of `tests.support.upstreams:app` play legacy and modern for the
whole session; each test module starts the proxies it needs with its own
routes.yaml (written to a temporary directory).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx
import pytest

from strangler.stack import EDGE_PROTOCOL
from tests.support.servers import RunningServer, Upstreams, run_app

UPSTREAM_APP = "tests.support.upstreams:app"
PROXY_APP = "proxy.app:app"

BASE_ROUTES = """\
  - {id: echo, methods: [GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS], path: /echo, stage: legacy}
  - {id: echo-deep, methods: [GET, POST], path: "/echo/{a}/{b}", stage: legacy}
  - {id: limited, methods: [POST], path: /echo/limited, stage: legacy, max_body_bytes: 1000}
  - {id: status, methods: [GET, POST], path: "/status/{code}", stage: legacy}
  - {id: cookies, path: /cookies, stage: legacy}
  - {id: redirect, path: /redirect, stage: legacy}
  - {id: gzip, path: /gzip, stage: legacy}
  - {id: bytes, path: "/bytes/{n}", stage: legacy}
  - {id: chunked, path: /chunked, stage: legacy}
  - {id: upload, methods: [POST, PUT], path: /upload, stage: legacy, max_body_bytes: 30000000}
  - {id: slow, path: /slow, stage: legacy, timeout: 0.5}
  - {id: on-modern, methods: [GET, POST], path: /api/modern, stage: modern}
  - {id: flaky, path: /api/flaky, stage: modern, fallback: legacy}
  - {id: canary, path: /api/canary, stage: canary, canary: {percent: 10, sticky: user}}
  - {id: ws-echo, path: /ws/echo, websocket: true, stage: legacy}
  - {id: ws-modern, path: /ws/modern/echo, websocket: true, stage: modern}
  - {id: ws-refuse, path: /ws/refuse, websocket: true, stage: legacy}
"""


def routes_yaml(legacy: str, modern: str, routes: str = BASE_ROUTES, **upstream: str) -> str:
    """A routes.yaml for the test upstreams; `routes` is the indented list body."""
    extra = "".join(f"  {name}: {{url: {url!r}}}\n" for name, url in upstream.items())
    head = f"""\
        version: 1
        upstreams:
          legacy: {{url: {legacy!r}, timeout: 10}}
          modern: {{url: {modern!r}, timeout: 10}}
        """
    return textwrap.dedent(head) + extra + "routes:\n" + routes


@contextmanager
def upstream_pair(app: str = UPSTREAM_APP, role: str = "UPSTREAM_NAME") -> Iterator[Upstreams]:
    """Two processes of `app`, one playing legacy and one modern: the environment
    variable `role` tells each which (the name comes back in `x-upstream`)."""
    with (
        run_app(app, env={role: "legacy"}) as legacy,
        run_app(app, env={role: "modern"}) as modern,
    ):
        yield Upstreams(legacy, modern)


@pytest.fixture(scope="session")
def upstreams() -> Iterator[Upstreams]:
    with upstream_pair() as pair:
        yield pair


@dataclass(frozen=True)
class Proxy(RunningServer):
    """A running proxy, and the routes file it reads (a test rewrites it to reload)."""

    routes: Path


@contextmanager
def run_proxy(
    routes_file: Path,
    text: str,
    *,
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    http: str | None = EDGE_PROTOCOL,
) -> Iterator[Proxy]:
    routes_file.write_text(text)
    # Start from a clean slate whatever the developer's shell exports.
    environment = {
        "STRANGLER_ROUTES": str(routes_file),
        "REDIS_URL": "",
        "STRANGLER_ADMIN_TOKEN": "",
        "STRANGLER_ADMIN_OPEN": "1",  # these tests call api/reload without a token
        "LEGACY_URL": "",
        "MODERN_URL": "",
        **(env or {}),
    }
    with run_app(
        PROXY_APP, env=environment, ready_path="/_strangler/healthz", workers=workers, http=http
    ) as server:
        yield Proxy(server.url, server.port, server.pid, routes_file)


@contextmanager
def base_proxy(
    upstreams: Upstreams,
    tmp_path_factory: pytest.TempPathFactory,
    env: Mapping[str, str] | None = None,
) -> Iterator[Proxy]:
    """A proxy over the test upstreams with BASE_ROUTES and no Redis; `env` on top."""
    path = tmp_path_factory.mktemp("proxy") / "routes.yaml"
    text = routes_yaml(upstreams.legacy.url, upstreams.modern.url)
    with run_proxy(path, text, env=env) as running:
        yield running


@pytest.fixture(scope="session")
def proxy(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """A proxy over the test upstreams with BASE_ROUTES, no Redis, no admin token."""
    with base_proxy(upstreams, tmp_path_factory) as running:
        yield running


ADMIN_TOKEN = "admin-s3cret"


@pytest.fixture(scope="module")
def guarded(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """Like `proxy`, with the admin token `ADMIN_TOKEN` set (one per test module)."""
    with base_proxy(upstreams, tmp_path_factory, {"STRANGLER_ADMIN_TOKEN": ADMIN_TOKEN}) as running:
        yield running


class NoCookies(CookieJar):
    """A client jar that keeps nothing, so each request carries only what a test sets."""

    def __init__(self) -> None:
        super().__init__(policy=DefaultCookiePolicy(allowed_domains=[]))


def client(**kwargs: object) -> httpx.Client:
    return httpx.Client(cookies=NoCookies(), timeout=30, **kwargs)  # type: ignore[arg-type]


def fresh_connections() -> httpx.Client:
    """A client that opens a new connection per request (so any worker may answer),
    without paying for a new client (and its TLS context) each time."""
    return client(limits=httpx.Limits(max_keepalive_connections=0))
