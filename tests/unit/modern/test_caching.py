"""The table of caching decisions names real pages and real code."""

from __future__ import annotations

from fastapi.routing import APIRoute

from modern.app import app
from modern.readmodel.caching import PAGES, describe


def test_each_page_of_the_table_is_a_route_of_the_app() -> None:
    routes = {
        f"{method} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert set(PAGES) <= routes
    assert {"GET /api/home", "GET /api/rooms", "GET /api/search"} <= set(PAGES)


def test_each_mechanism_names_code_and_each_page_reads_whole() -> None:
    for page, parts in PAGES.items():
        assert parts, page
        for part in parts:
            assert part.mechanism.code and all(map(callable, part.mechanism.code)), part
        text = describe(page)
        assert text.count("dropped by:") == len(parts)
    assert "view home:<uid> rooms" in describe("GET /api/home")
