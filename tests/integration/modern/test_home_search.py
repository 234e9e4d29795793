"""Endpoints 18–19 over real HTTP: the bounded home page and search."""

from __future__ import annotations

from tests.integration.modern.client import Api


def test_home_is_bounded_and_fresh_after_writes(api: Api) -> None:
    me, other = api.register("homer"), api.register("neighbour")
    mine = api.room(me, "home-mine")
    theirs = api.room(other, "home-theirs")
    for i in range(5):
        api.post(me, mine["id"], f"m{i}")
    home = api.get(me, "/api/home").json()
    assert set(home) == {"user", "rooms", "suggested_rooms", "recent_users"}
    assert home["user"]["id"] == me.id
    assert [r["id"] for r in home["rooms"]] == [mine["id"]]
    assert [m["text"] for m in home["rooms"][0]["latest_messages"]] == ["m2", "m3", "m4"]
    assert theirs["id"] in [r["id"] for r in home["suggested_rooms"]]
    assert len(home["suggested_rooms"]) <= 10 and len(home["recent_users"]) <= 10
    seen = [u["last_seen_at"] for u in home["recent_users"]]
    assert seen == sorted(seen, reverse=True)
    # Writes invalidate the cached parts: a new message, a join, a new user.
    api.post(me, mine["id"], "m5")
    api.join(me, theirs["id"])
    newcomer = api.register("newcomer")
    again = api.get(me, "/api/home").json()
    assert [m["text"] for m in again["rooms"][0]["latest_messages"]] == ["m3", "m4", "m5"]
    assert {r["id"] for r in again["rooms"]} == {mine["id"], theirs["id"]}
    assert theirs["id"] not in [r["id"] for r in again["suggested_rooms"]]
    assert again["recent_users"][0]["id"] == newcomer.id
    only = api.get(me, "/api/home", fields="user").json()
    assert list(only) == ["user"]


def test_search_is_literal_case_insensitive_and_paged(api: Api) -> None:
    me = api.register("Searcher")
    api.register("dot.ted")
    api.register("dotXted")
    api.room(me, "Dot.Room", topic="about dots")
    empty = api.get(me, "/api/search").json()
    assert empty == {"users": [], "rooms": []} == api.get(me, "/api/search", q="").json()
    hits = api.get(me, "/api/search", q="DOT.").json()
    assert [u["username"][:8] for u in hits["users"]] == ["dot.ted_"]
    assert [r["name"] for r in hits["rooms"]] == ["Dot.Room"]
    assert api.get(me, "/api/search", q=".*").json() == {"users": [], "rooms": []}
    both = api.get(me, "/api/search", q="dot", limit=1)
    assert len(both.json()["users"]) == 1 and "next" in both.links
    rest = api.http.get(both.links["next"]["url"], headers=me.headers).json()
    assert rest["users"][0]["username"] > both.json()["users"][0]["username"]
    assert api.get(me, "/api/search", q="x", cursor="%%").status_code == 400
