"""Hot reload under load: flips of routes.yaml never fail a request; canary through it."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator

import aiohttp
import httpx
import pytest

from proxy.canary import bucket
from tests.integration.proxy.conftest import Proxy, Upstreams, client, routes_yaml, run_proxy

# The tests move the canary percent and the WebSocket's stage both ways; a standing
# rollback makes the backward moves legitimate (the reload refuses them otherwise).
CANARY_ROUTES = """\
  - {{id: echo, methods: [GET, POST], path: /echo, stage: legacy}}
  - {{id: canary, path: /api/canary, stage: canary, canary: {{percent: {percent}, sticky: user}},
     rollback: {{reason: "tests move both ways"}}}}
  - {{id: ws-echo, path: /ws/echo, websocket: true, stage: {ws_stage},
     rollback: {{reason: "tests move both ways"}}}}
"""


def canary_text(upstreams: Upstreams, percent: float, ws_stage: str = "legacy") -> str:
    routes = CANARY_ROUTES.format(percent=percent, ws_stage=ws_stage)
    return routes_yaml(upstreams.legacy.url, upstreams.modern.url, routes)


def revision(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@pytest.fixture(scope="module")
def live_proxy(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    path = tmp_path_factory.mktemp("live") / "routes.yaml"
    with run_proxy(path, canary_text(upstreams, 10)) as running:
        yield running


@pytest.fixture
def live(live_proxy: Proxy, upstreams: Upstreams) -> Proxy:
    """The module's proxy, reset to the 10 % canary (the WebSocket test runs last)."""
    with client() as http:
        assert reload(http, live_proxy, canary_text(upstreams, 10), atomic=True)["result"] in (
            "applied", "unchanged",
        )  # fmt: skip
    return live_proxy


def side_of(http: httpx.Client, proxy: Proxy, user: str) -> str:
    reply = http.get(proxy.url + "/api/canary", headers={"Authorization": f"Bearer {user}"})
    assert reply.status_code == 200
    return reply.headers["x-upstream"]


def reload(http: httpx.Client, proxy: Proxy, text: str, *, atomic: bool) -> dict[str, object]:
    if atomic:
        tmp = proxy.routes.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, proxy.routes)
    else:
        proxy.routes.write_text(text)
    reply = http.post(proxy.url + "/_strangler/api/reload")
    return dict(reply.json())


def test_canary_is_the_documented_sticky_split_and_only_grows(
    live: Proxy, upstreams: Upstreams
) -> None:
    users = [f"user-{n}" for n in range(300)]
    with client() as http:
        at10 = {u: side_of(http, live, u) for u in users}
        assert at10 == {u: "modern" if bucket("canary", u) < 1000 else "legacy" for u in users}
        assert at10 == {u: side_of(http, live, u) for u in users[:100]} | {
            u: at10[u] for u in users[100:]
        }  # sticky on a second visit
        # Without a token, the client address is the sticky key (canary.when_missing).
        anonymous = "modern" if bucket("canary", "ip:127.0.0.1") < 1000 else "legacy"
        assert side_of_anonymous(http, live) == anonymous
        assert reload(http, live, canary_text(upstreams, 20), atomic=True)["result"] == "applied"
        at20 = {u: side_of(http, live, u) for u in users}
    moved_back = [u for u in users if at10[u] == "modern" and at20[u] == "legacy"]
    assert moved_back == []
    assert sum(s == "modern" for s in at20.values()) > sum(s == "modern" for s in at10.values())


def side_of_anonymous(http: httpx.Client, proxy: Proxy) -> str:
    return http.get(proxy.url + "/api/canary").headers["x-upstream"]


def test_twenty_flips_under_load_fail_no_request(live: Proxy, upstreams: Upstreams) -> None:
    stop = threading.Event()
    failures: list[str] = []
    done = [0]

    def load(n: int) -> None:
        with client() as http:
            while not stop.is_set():
                try:
                    path = "/api/canary" if done[0] % 2 else "/echo"
                    reply = http.get(
                        live.url + path, headers={"Authorization": f"Bearer u{n}-{done[0]}"}
                    )
                    if reply.status_code != 200:
                        failures.append(f"{path}: {reply.status_code}")
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                done[0] += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    last_valid, last_invalid = "", ""
    try:
        with client() as http:
            for flip in range(20):
                if flip % 3 == 2:
                    text = canary_text(upstreams, 11 + flip).replace(
                        "stage: legacy", "stage: legacyy", 1
                    )
                    outcome = reload(http, live, text, atomic=flip % 2 == 0)
                    assert outcome["result"] == "refused"
                    assert "route 'echo': stage" in "\n".join(outcome["problems"])
                    last_invalid = text
                else:
                    text = canary_text(upstreams, 11 + flip)
                    outcome = reload(http, live, text, atomic=flip % 2 == 0)
                    assert outcome["result"] in ("applied", "unchanged")  # the watch may be first
                    last_valid = text
                time.sleep(0.05)
            status = http.get(live.url + "/_strangler/api/status").json()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert done[0] > 40
    assert status["config"]["revision"] == revision(last_valid)
    assert last_invalid
    # The last file was good: the refusal before it is history, not a current error.
    assert status["config"]["last_error"] is None
    assert status["config"]["last_reload"]["result"] in ("applied", "unchanged")
    assert status["reloads"]["refused"] == 6


def test_the_file_watch_and_sighup_reload(live: Proxy, upstreams: Upstreams) -> None:
    with client() as http:
        text = canary_text(upstreams, 30)
        live.routes.write_text(text)
        assert wait_for_revision(http, live, revision(text))
        text = canary_text(upstreams, 40)
        tmp = live.routes.with_suffix(".new")
        tmp.write_text(text)
        os.replace(tmp, live.routes)
        assert wait_for_revision(http, live, revision(text))
        # SIGHUP answers at once; the watch would need two polls (≥ 0.5 s) to see it.
        text = canary_text(upstreams, 50)
        live.routes.write_text(text)
        os.kill(live.pid, signal.SIGHUP)
        assert wait_for_revision(http, live, revision(text), timeout=0.4)


def wait_for_revision(http: httpx.Client, proxy: Proxy, wanted: str, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http.get(proxy.url + "/_strangler/api/status").json()["config"]["revision"] == wanted:
            return True
        time.sleep(0.1)
    return False


def test_a_reload_never_cuts_an_open_websocket(live: Proxy, upstreams: Upstreams) -> None:
    import asyncio

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            before = await session.ws_connect(live.ws_url + "/ws/echo")
            assert json.loads(await before.receive_str())["upstream"] == "legacy"
            with client() as http:
                outcome = reload(
                    http, live, canary_text(upstreams, 10, ws_stage="modern"), atomic=True
                )
            assert outcome["result"] == "applied"
            await before.send_str("still here")
            assert await before.receive_str() == "still here"
            after = await session.ws_connect(live.ws_url + "/ws/echo")
            assert json.loads(await after.receive_str())["upstream"] == "modern"
            await after.close()
            await before.close()

    asyncio.run(scenario())
