"""The repository's routes.yaml: every legacy endpoint once, a believable migration."""

from __future__ import annotations

from pathlib import Path

from proxy.config import SAFE_METHODS, load_routes
from proxy.routing import RouteTable

ROUTES = Path(__file__).resolve().parents[3] / "routes.yaml"

# docs/wire-contract.md's endpoints: (method, path with sample ids) → the route id
# that must serve it.
ENDPOINTS = {
    ("POST", "/api/auth/register"): "register",
    ("POST", "/api/auth/login"): "login",
    ("POST", "/api/auth/logout"): "logout",
    ("GET", "/api/users"): "list-users",
    ("GET", "/api/users/65a1b2c3d4e5f60718293a4b"): "get-user",
    ("PATCH", "/api/users/me"): "update-me",
    ("GET", "/api/users/65a1b2c3d4e5f60718293a4b/rooms"): "user-rooms",
    ("GET", "/api/rooms"): "list-rooms",
    ("POST", "/api/rooms"): "create-room",
    ("GET", "/api/rooms/r1"): "get-room",
    ("POST", "/api/rooms/r1/join"): "join-room",
    ("POST", "/api/rooms/r1/leave"): "leave-room",
    ("GET", "/api/rooms/r1/messages"): "list-messages",
    ("POST", "/api/rooms/r1/messages"): "post-message",
    ("PATCH", "/api/messages/m1"): "edit-message",
    ("DELETE", "/api/messages/m1"): "delete-message",
    ("POST", "/api/messages/m1/reactions"): "toggle-reaction",
    ("GET", "/api/home"): "home",
    ("GET", "/api/search"): "search",
    ("GET", "/healthz"): "healthz",
}


def test_every_legacy_endpoint_has_exactly_its_route() -> None:
    table = RouteTable(load_routes(ROUTES))
    for (method, path), route_id in ENDPOINTS.items():
        found = table.match(method, path)
        assert found is not None and found[0].id == route_id, (method, path)
    socket = table.match("GET", "/ws/rooms/r1", websocket=True)
    assert socket is not None and socket[0].id == "room-socket"
    assert len(table.config.routes) == len(ENDPOINTS) + 1 == 21


def test_the_migration_is_in_progress_and_shadows_only_reads() -> None:
    routes = load_routes(ROUTES).config.routes
    stages = {route.stage for route in routes}
    assert {"legacy", "shadow", "canary", "modern"} <= stages
    for route in routes:
        if route.stage == "shadow":
            assert set(route.methods) <= SAFE_METHODS, route.id
    by_id = {route.id: route for route in routes}
    assert by_id["list-users"].compare.lists == "prefix"
    assert by_id["list-messages"].compare.lists == "suffix"
