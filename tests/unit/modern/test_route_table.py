"""The route table is the contract's 21 endpoints, flat in `app.routes` for tooling."""

from __future__ import annotations

from starlette.routing import Route, WebSocketRoute

from modern.app import create_app

EXPECTED = {
    ("POST", "/api/auth/register"), ("POST", "/api/auth/login"), ("POST", "/api/auth/logout"),
    ("GET", "/api/users"), ("GET", "/api/users/{user_id}"), ("PATCH", "/api/users/me"),
    ("GET", "/api/users/{user_id}/rooms"), ("GET", "/api/rooms"), ("POST", "/api/rooms"),
    ("GET", "/api/rooms/{room_id}"), ("POST", "/api/rooms/{room_id}/join"),
    ("POST", "/api/rooms/{room_id}/leave"), ("GET", "/api/rooms/{room_id}/messages"),
    ("POST", "/api/rooms/{room_id}/messages"), ("PATCH", "/api/messages/{message_id}"),
    ("DELETE", "/api/messages/{message_id}"), ("POST", "/api/messages/{message_id}/reactions"),
    ("GET", "/api/home"), ("GET", "/api/search"), ("WS", "/ws/rooms/{room_id}"),
    ("GET", "/healthz"),
}  # fmt: skip


def test_the_app_serves_exactly_the_contract_endpoints() -> None:
    app = create_app()  # building the app connects nothing: the lifespan does
    found = set()
    for route in app.routes:
        if isinstance(route, WebSocketRoute):
            found.add(("WS", route.path))
        elif isinstance(route, Route) and route.include_in_schema:
            found |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    assert found == EXPECTED
