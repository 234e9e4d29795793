"""The route table compiled for the hot path, and the unmapped-path counter key.

`RouteTable` indexes routes by segment count and keeps each bucket ordered most
specific first, so a lookup is one `split("/")`, one dict lookup and a few segment
compares. A template without parameters is the most specific of its bucket, so
those are also indexed by their exact text: a request for one matches with a single
dict lookup. A route whose path matches but whose methods do not lets the search go
on (`GET /api/users/me` falls through from `PATCH /api/users/me` to
`GET /api/users/{user_id}`). WebSocket routes match only WebSocket scopes, and HTTP
routes only HTTP ones. HEAD matches a GET route, as in every HTTP router.

A table is immutable once built; a reload builds a new one and swaps a reference,
so a request keeps the table it started with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from proxy.config import LoadedRoutes, PathTemplate, Route, RoutesConfig

__all__ = ["CompiledRoute", "RouteTable", "split_path", "unmapped_key"]

_ID_SEGMENT = re.compile(
    r"^(?:[0-9a-fA-F]{24}|\d+|[0-9a-fA-F]{32}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
_MAX_UNMAPPED_SEGMENTS = 8


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    """A route with what matching needs precomputed.

    Parameters:
        route: the validated config entry.
        template: its parsed path template.
        methods: allowed methods (HEAD added when GET is allowed).
        literals: (segment index, text) of the template's literal segments.
        params: (segment index, name) of its parameters.
    """

    route: Route
    template: PathTemplate
    methods: frozenset[str]
    literals: tuple[tuple[int, str], ...]
    params: tuple[tuple[int, str], ...]

    @classmethod
    def build(cls, route: Route, methods: frozenset[str]) -> CompiledRoute:
        template = route.template
        segments = list(enumerate(template.segments))
        literals = tuple((i, text) for i, text in segments if text is not None)
        params = tuple(
            zip((i for i, text in segments if text is None), template.params, strict=True)
        )
        return cls(route, template, methods, literals, params)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Parameter values for a path split on '/' with this template's length, or None.

        Same result as `PathTemplate.match`, without its per-call iterators: literals
        are compared first (they reject most candidates), then parameters are read.
        """
        for index, text in self.literals:
            if parts[index] != text:
                return None
        values: dict[str, str] = {}
        for index, name in self.params:
            value = parts[index]
            if not value:
                return None
            values[name] = value
        return values


def split_path(path: str) -> list[str]:
    """`/api/rooms/1` → `["api", "rooms", "1"]`; `/` → `[]`."""
    return path[1:].split("/") if path != "/" else []


class RouteTable:
    """A compiled, immutable route table.

    Parameters:
        loaded: the validated routes.yaml it was built from (revision, source, time).
    """

    def __init__(self, loaded: LoadedRoutes) -> None:
        self.loaded = loaded
        self.config: RoutesConfig = loaded.config
        self._http: dict[int, list[CompiledRoute]] = {}
        self._ws: dict[int, list[CompiledRoute]] = {}
        self._exact: dict[str, list[CompiledRoute]] = {}
        for route in loaded.config.routes:
            methods = set(route.methods)
            if "GET" in methods:
                methods.add("HEAD")
            compiled = CompiledRoute.build(route, frozenset(methods))
            index = self._ws if route.websocket else self._http
            index.setdefault(len(compiled.template.segments), []).append(compiled)
            if not route.websocket and not compiled.params:
                self._exact.setdefault(compiled.template.template, []).append(compiled)
        for index in (self._http, self._ws):
            for bucket in index.values():
                bucket.sort(key=lambda c: c.template.specificity, reverse=True)
        self.by_id: dict[str, Route] = {route.id: route for route in loaded.config.routes}

    def match(
        self, method: str, path: str, *, websocket: bool = False
    ) -> tuple[Route, dict[str, str]] | None:
        """The most specific route for this request and its path parameters, or None."""
        if not websocket:
            exact = self._exact.get(path)
            if exact is not None:
                for compiled in exact:
                    if method in compiled.methods:
                        return compiled.route, {}
        parts = split_path(path)
        bucket = (self._ws if websocket else self._http).get(len(parts))
        if not bucket:
            return None
        for compiled in bucket:
            if not websocket and method not in compiled.methods:
                continue
            params = compiled.match(parts)
            if params is not None:
                return compiled.route, params
        return None


def unmapped_key(path: str) -> str:
    """A bounded label for an unmatched path: id-like segments become `{id}`.

    `/api/rooms/65a1…9f/pins` and `/api/rooms/65b2…01/pins` count as one entry, so a
    crawler cannot grow the unmapped list without limit.
    """
    parts = split_path(path)
    if len(parts) > _MAX_UNMAPPED_SEGMENTS:
        parts = [*parts[:_MAX_UNMAPPED_SEGMENTS], "…"]
    normalised = ["{id}" if _ID_SEGMENT.match(part) else part[:64] for part in parts]
    return "/" + "/".join(normalised)
