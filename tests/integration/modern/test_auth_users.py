"""Endpoints 1–7 over real HTTP: auth and users."""

from __future__ import annotations

import httpx

from tests.integration.modern.client import PASSWORD, Api


def test_healthz_needs_no_token(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}


def test_register_login_logout(api: Api, http: httpx.Client) -> None:
    alice = api.register("alice", display_name="Alice A.")
    me = api.get(alice, f"/api/users/{alice.id}").json()
    assert me["display_name"] == "Alice A." and "password_hash" not in me
    assert (
        http.post(
            "/api/auth/register", json={"username": alice.username, "password": PASSWORD}
        ).json()["error"]["code"]
        == "conflict"
    )
    bad = http.post("/api/auth/login", json={"username": alice.username, "password": "nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    login = http.post("/api/auth/login", json={"username": alice.username, "password": PASSWORD})
    assert login.status_code == 200
    body = login.json()
    assert body["user"]["last_seen_at"] >= me["last_seen_at"] and body["token"] != alice.token
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert http.post("/api/auth/logout", headers=headers).status_code == 204
    assert http.get("/api/users", headers=headers).status_code == 401
    assert api.get(alice, "/api/users").status_code == 200  # the first session lives on


def test_every_endpoint_but_public_ones_needs_a_token(http: httpx.Client) -> None:
    oid = "0" * 24
    for method, path in [
        ("GET", "/api/users"), ("GET", f"/api/users/{oid}"), ("PATCH", "/api/users/me"),
        ("GET", f"/api/users/{oid}/rooms"), ("GET", "/api/rooms"), ("POST", "/api/rooms"),
        ("GET", f"/api/rooms/{oid}"), ("POST", f"/api/rooms/{oid}/join"),
        ("POST", f"/api/rooms/{oid}/leave"), ("GET", f"/api/rooms/{oid}/messages"),
        ("POST", f"/api/rooms/{oid}/messages"), ("PATCH", f"/api/messages/{oid}"),
        ("DELETE", f"/api/messages/{oid}"), ("POST", f"/api/messages/{oid}/reactions"),
        ("GET", "/api/home"), ("GET", "/api/search?q=a"), ("POST", "/api/auth/logout"),
    ]:  # fmt: skip
        reply = http.request(method, path, headers={"Authorization": "Bearer nope"})
        assert reply.status_code == 401, (method, path)
        assert reply.json()["error"]["code"] == "unauthorized"


def test_users_list_pages_in_username_order(api: Api) -> None:
    viewer = api.register("viewer")
    for name in ["pg_c", "pg_a", "pg_b"]:
        api.register(name)
    everyone = api.get(viewer, "/api/users", limit=100).json()
    names = [u["username"] for u in everyone]
    assert names == sorted(names)
    first = api.get(viewer, "/api/users", limit=2)
    assert [u["username"] for u in first.json()] == names[:2]
    assert first.links["next"]["url"].startswith(str(api.http.base_url))
    second = api.http.get(first.links["next"]["url"], headers=viewer.headers)
    assert [u["username"] for u in second.json()] == names[2:4]
    exact = api.get(viewer, "/api/users", limit=len(names))
    assert len(exact.json()) == len(names) and "next" not in exact.links


def test_user_lookup_and_fields(api: Api) -> None:
    viewer = api.register("viewer")
    assert api.get(viewer, "/api/users/" + "f" * 24).status_code == 404
    assert api.get(viewer, "/api/users/not-an-id").json()["error"]["code"] == "not_found"
    picked = api.get(viewer, f"/api/users/{viewer.id}", fields="id,username").json()
    assert picked == {"id": viewer.id, "username": viewer.username}
    assert api.get(viewer, "/api/users", fields="id,password_hash").status_code == 422


def test_patch_me_changes_only_given_keys(api: Api) -> None:
    me = api.register("patcher")
    headers = me.headers
    first = api.http.patch(
        "/api/users/me", json={"bio": "hello", "avatar_url": "http://x/a.png"}, headers=headers
    )
    assert first.status_code == 200 and first.json()["bio"] == "hello"
    second = api.http.patch("/api/users/me", json={"avatar_url": None}, headers=headers).json()
    assert second["bio"] == "hello" and second["avatar_url"] is None
    assert api.get(me, f"/api/users/{me.id}").json()["avatar_url"] is None  # cache invalidated
    for bad in [{"display_name": None}, {"display_name": ""}, {"bio": "x" * 501}, {"admin": True}]:
        reply = api.http.patch("/api/users/me", json=bad, headers=headers)
        assert reply.status_code == 422 and reply.json()["error"]["fields"], bad


def test_user_rooms_in_activity_order(api: Api) -> None:
    me = api.register("roomer")
    quiet = api.room(me, "quiet")
    older = api.room(me, "older")
    newer = api.room(me, "newer")
    api.post(me, older["id"], "first")
    api.post(me, newer["id"], "second")
    ids = [r["id"] for r in api.get(me, f"/api/users/{me.id}/rooms").json()]
    assert ids == [newer["id"], older["id"], quiet["id"]]
    page = api.get(me, f"/api/users/{me.id}/rooms", limit=2)
    rest = api.http.get(page.links["next"]["url"], headers=me.headers).json()
    assert [r["id"] for r in rest] == [quiet["id"]]
    assert api.get(me, "/api/users/" + "e" * 24 + "/rooms").status_code == 404
