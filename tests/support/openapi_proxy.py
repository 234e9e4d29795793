"""A proxy that sends every operation of an app's OpenAPI to `modern`.

Used to run Schemathesis against modern through the proxy (the suite's bounded run in
tests/integration/modern/test_schemathesis.py, the longer one in
scripts/schemathesis_modern.py): the route table is generated from the schema, so
it covers whatever modern serves, plus `/openapi.json` for loading the schema through
the proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.servers import RunningServer, run_app


def all_modern_routes(openapi: dict[str, Any], modern_url: str) -> dict[str, Any]:
    """Every path of `openapi` at stage `modern` (one route per path, all its methods).
    Legacy is named because a route table requires it; nothing goes there."""
    routes = [{"id": "openapi", "methods": ["GET"], "path": "/openapi.json", "stage": "modern"}]
    for number, (path, operations) in enumerate(sorted(openapi["paths"].items())):
        methods = sorted(method.upper() for method in operations)
        routes.append({"id": f"op-{number}", "methods": methods, "path": path, "stage": "modern"})
    upstream = {"url": modern_url, "timeout": 10}
    return {"version": 1, "upstreams": {"legacy": upstream, "modern": upstream}, "routes": routes}


@contextmanager
def proxy_in_front_of(modern_url: str, routes_file: Path) -> Iterator[RunningServer]:
    """A proxy (no Redis, no admin token) whose routes send all of modern's API to it."""
    openapi = httpx.get(f"{modern_url}/openapi.json", timeout=10).json()
    routes_file.write_text(yaml.safe_dump(all_modern_routes(openapi, modern_url), sort_keys=False))
    env = {
        "STRANGLER_ROUTES": str(routes_file),
        "REDIS_URL": "",
        "STRANGLER_ADMIN_TOKEN": "",
        "LEGACY_URL": "",
        "MODERN_URL": "",
    }
    with run_app("proxy.app:app", env=env, ready_path="/_strangler/healthz") as proxy:
        yield proxy
