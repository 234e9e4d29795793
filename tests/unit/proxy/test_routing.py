"""The compiled route table: specificity, methods, WebSocket separation, unmapped keys."""

from __future__ import annotations

import textwrap

from proxy.config import parse_routes
from proxy.routing import RouteTable, unmapped_key

TABLE = RouteTable(
    parse_routes(
        textwrap.dedent(
            """\
            version: 1
            upstreams:
              legacy: {url: "http://127.0.0.1:8001"}
              modern: {url: "http://127.0.0.1:8002"}
            routes:
              - {id: list-users, path: /api/users, stage: legacy}
              - {id: get-user, path: "/api/users/{user_id}", stage: modern}
              - {id: update-me, methods: [PATCH], path: /api/users/me, stage: legacy}
              - {id: user-rooms, path: "/api/users/{user_id}/rooms", stage: legacy}
              - {id: any-rooms, path: "/api/{kind}/{id}/rooms", stage: legacy}
              - {id: room-socket, path: "/ws/rooms/{room_id}", websocket: true, stage: legacy}
              - {id: root, path: /, stage: legacy}
            """
        )
    )
)


def ids(method: str, path: str, *, websocket: bool = False) -> str | None:
    found = TABLE.match(method, path, websocket=websocket)
    return found[0].id if found else None


def test_a_literal_beats_a_parameter() -> None:
    assert ids("PATCH", "/api/users/me") == "update-me"


def test_a_method_mismatch_falls_through_to_a_less_specific_route() -> None:
    assert TABLE.match("GET", "/api/users/me") is not None
    route, params = TABLE.match("GET", "/api/users/me")  # type: ignore[misc]
    assert (route.id, params) == ("get-user", {"user_id": "me"})


def test_leftmost_literal_wins_among_parameters() -> None:
    assert ids("GET", "/api/users/42/rooms") == "user-rooms"
    assert ids("GET", "/api/rooms/42/rooms") == "any-rooms"


def test_head_matches_a_get_route_and_other_methods_do_not() -> None:
    assert ids("HEAD", "/api/users") == "list-users"
    assert ids("POST", "/api/users") is None


def test_websocket_routes_match_only_websocket_scopes() -> None:
    assert ids("GET", "/ws/rooms/1") is None
    assert ids("GET", "/ws/rooms/1", websocket=True) == "room-socket"
    assert ids("GET", "/api/users", websocket=True) is None


def test_trailing_slashes_and_empty_parameters_do_not_match() -> None:
    assert ids("GET", "/api/users/") is None
    assert ids("GET", "/api/users//rooms") is None
    assert ids("GET", "/") == "root"


def test_unmapped_keys_fold_ids_so_the_list_stays_bounded() -> None:
    oid = "65a1b2c3d4e5f60718293a4b"
    assert unmapped_key(f"/api/rooms/{oid}/pins") == "/api/rooms/{id}/pins"
    assert unmapped_key("/api/items/12345") == "/api/items/{id}"
    assert unmapped_key("/api/x/0b8a3e4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c") == "/api/x/{id}"
    assert unmapped_key("/api/pins") == "/api/pins"
    long = unmapped_key("/" + "/".join("abcdefghijklmnop"))
    assert long.count("/") == 9 and long.endswith("…")


def test_compiled_matching_agrees_with_the_template_on_every_route() -> None:
    paths = ["/", "/api/users", "/api/users/me", "/api/users/42", "/api/users/42/rooms",
             "/api/x/1/rooms", "/api/users/", "/api//1/rooms", "/ws/rooms/7", "/api"]  # fmt: skip
    buckets = [*TABLE._http.values(), *TABLE._ws.values()]
    for compiled in (c for bucket in buckets for c in bucket):
        for path in paths:
            parts = path[1:].split("/") if path != "/" else []
            if len(parts) == len(compiled.template.segments):
                assert compiled.match(parts) == compiled.template.match(parts), (compiled, path)
