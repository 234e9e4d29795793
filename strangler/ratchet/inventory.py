"""The legacy app's endpoints, read from its own route table or its OpenAPI document.

The inventory is what legacy really serves, not what someone wrote down: for our app
(and any Starlette/FastAPI app) the ASGI app is loaded by import string at run time
and its `routes` are walked; for a legacy app in another language, its OpenAPI
document (a file or an http(s) URL) is read. The proxy never imports legacy
statically (an import-linter contract), so loading is by name only, and the modules
imported for it are dropped again afterwards so the next load sees the files as they
are now.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from proxy.config import PathTemplate, TemplateError
from strangler.ratchet.loading import imports_from
from strangler.ratchet.settings import RatchetConfigError, RatchetSettings

__all__ = [
    "WS",
    "Endpoint",
    "endpoints_from_app",
    "endpoints_from_openapi",
    "load_inventory",
    "without_implied_head",
]

WS = "WS"
# FastAPI's own documentation pages are not part of the API being migrated.
FRAMEWORK_PATHS = frozenset({"/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"})
_OPENAPI_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_CONVERTOR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):[^}]*\}")
_FETCH_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One thing legacy serves: an HTTP method (or `WS`) on a path template.

    Two endpoints are the same when their method and shape agree, whatever their
    parameters are called (`/users/{id}` and `/users/{user_id}` are one endpoint).
    """

    method: str
    shape: tuple[str | None, ...]
    path: str = field(compare=False)

    @classmethod
    def of(cls, method: str, path: str) -> Endpoint:
        try:
            template = PathTemplate.parse(path)
        except TemplateError as exc:
            raise RatchetConfigError(f"legacy endpoint {method} {path}: {exc}") from None
        return cls(method=method.upper(), shape=template.shape, path=path)

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.path, self.method)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def load_inventory(settings: RatchetSettings) -> list[Endpoint]:
    """The legacy endpoints from the configured source, sorted by path then method."""
    if settings.legacy_openapi:
        return endpoints_from_openapi(settings.legacy_openapi, root=settings.root)
    assert settings.legacy_app is not None  # load_settings sets exactly one source
    return endpoints_from_app(settings.legacy_app, root=settings.root)


def endpoints_from_app(import_string: str, *, root: Path) -> list[Endpoint]:
    module_name, _, attribute = import_string.partition(":")
    if not module_name or not attribute:
        raise RatchetConfigError(
            f"legacy_app {import_string!r} must look like 'package.module:app'"
        )
    with imports_from(root):
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # any error in the app's own import is the user's to see
            raise RatchetConfigError(
                f"cannot load legacy app {import_string!r}: {type(exc).__name__}: "
                + " ".join(str(exc).split())  # one line, even for a multi-line error
            ) from None
        app: Any = module
        for part in attribute.split("."):
            app = getattr(app, part, None)
        routes = getattr(app, "routes", None)
        if routes is None:
            raise RatchetConfigError(
                f"legacy app {import_string!r} has no route table (`routes`); "
                "use legacy_openapi for apps that are not Starlette/FastAPI"
            )
        return _unique(_walk(routes, prefix=""))


def endpoints_from_openapi(source: str, *, root: Path) -> list[Endpoint]:
    document = _parse_document(_read_document(source, root), source)
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        raise RatchetConfigError(f"OpenAPI document {source}: no `paths` object")
    found: list[Endpoint] = []
    for path, item in paths.items():
        if not isinstance(item, dict) or path in FRAMEWORK_PATHS:
            continue
        methods = {m.upper() for m in _OPENAPI_METHODS if m in item}
        found.extend(Endpoint.of(method, path) for method in without_implied_head(methods))
    return _unique(found)


def _walk(routes: Iterable[Any], *, prefix: str) -> Iterator[Endpoint]:
    # Imported here so that reading an OpenAPI file never pays for Starlette.
    from starlette.routing import Mount, Route, WebSocketRoute

    for route in routes:
        if isinstance(route, Mount):
            # A mounted sub-app or router: its routes live under the mount's path.
            yield from _walk(getattr(route, "routes", None) or [], prefix=prefix + route.path)
        elif isinstance(route, Route | WebSocketRoute):
            yield from _endpoints(route, prefix + route.path)
        else:
            yield from _included(route, prefix)


def _included(route: Any, prefix: str) -> Iterator[Endpoint]:
    """Routes of an `include_router`, which recent FastAPI keeps nested in a wrapper."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes flat into `app.routes`
        return
    for context in iter_route_contexts([route]):
        if context.path is not None:
            yield from _endpoints(context.original_route, prefix + context.path, context.methods)


def _endpoints(route: Any, path: str, methods: Iterable[str] | None = None) -> Iterator[Endpoint]:
    from starlette.routing import WebSocketRoute

    path = _CONVERTOR.sub(r"{\1}", path)
    if path in FRAMEWORK_PATHS:
        return
    if isinstance(route, WebSocketRoute):
        yield Endpoint.of(WS, path)
        return
    for method in without_implied_head(methods or getattr(route, "methods", None) or {"GET"}):
        yield Endpoint.of(method, path)


def without_implied_head(methods: Iterable[str]) -> list[str]:
    upper = {m.upper() for m in methods}
    if "GET" in upper:
        upper.discard("HEAD")  # Starlette adds HEAD to every GET route
    return sorted(upper)


def _unique(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    seen: dict[Endpoint, Endpoint] = {}
    for endpoint in endpoints:
        seen.setdefault(endpoint, endpoint)
    return sorted(seen.values(), key=lambda e: e.sort_key)


def _read_document(source: str, root: Path) -> str:
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, timeout=_FETCH_TIMEOUT, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RatchetConfigError(f"cannot fetch OpenAPI document {source}: {exc}") from None
        return response.text
    path = root / source
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RatchetConfigError(f"{path}: cannot read OpenAPI document: {exc.strerror}") from None


def _parse_document(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)  # OpenAPI documents are often YAML
    except yaml.YAMLError as exc:
        raise RatchetConfigError(f"OpenAPI document {source}: not JSON or YAML: {exc}") from None
