"""Config edits that cannot hurt, on real proxies: files that would mis-route are not applied.

A truncated, an emptied, a mid-line cut and a slowly written routes.yaml reach a
serving proxy through its file watch while traffic goes to the routes those files
would lose: none is applied and no request reaches the wrong upstream. Then SIGHUP
on a two-worker proxy: uvicorn replaces the workers, and the new ones refuse a
backward move without a reason exactly as the file watch does, measured against the
table last applied (kept in Redis), and apply a forward one.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.integration.proxy.conftest import (
    Proxy,
    Upstreams,
    client,
    fresh_connections,
    routes_yaml,
    run_proxy,
)
from tests.integration.proxy.workers import (
    get_across_restart,
    hide_from_the_watch,
    status_of,
    workers_serving,
)

ROUTES = """\
  - {id: echo, methods: [GET, POST], path: /echo, stage: legacy}
  - {id: first-modern, path: /echo/first, stage: modern}
  - {id: a-legacy, path: /echo/a, stage: legacy}
  - {id: retired-one, path: /echo/gone, stage: retired}
  - {id: late-modern, path: /echo/late, stage: modern}
  - {id: last-modern, path: /echo/last, stage: modern}
"""
# Where each path must go while the table above is in force (unmapped paths go to legacy).
EXPECTED = {
    "/echo/first": "modern",
    "/echo/a": "legacy",
    "/echo/gone": "modern",
    "/echo/late": "modern",
    "/echo/last": "modern",
}


def revision(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def wait_until(check: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


class Traffic:
    """Requests to every mapped path in a loop; records any answered by the wrong side."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.sent = 0
        self.wrong: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with client() as http:
            while not self._stop.is_set():
                for path, side in EXPECTED.items():
                    reply = http.get(self.proxy.url + path)
                    self.sent += 1
                    if reply.headers.get("x-upstream") != side:
                        self.wrong.append(f"{path}: {reply.headers.get('x-upstream')}")
                time.sleep(0.01)


def test_unfinished_files_are_never_applied(upstreams: Upstreams, tmp_path: Path) -> None:
    full = routes_yaml(upstreams.legacy.url, upstreams.modern.url, ROUTES)
    cut_at_a_route = full[: full.index("  - {id: retired-one")]
    cut_mid_line = full[: full.index("/echo/last") + len("/echo/la")]  # valid: a wrong path
    emptied = full[: full.index("routes:")] + "routes: []\n"
    grown = full + "  - {id: extra, path: /echo/extra, stage: modern}\n"
    with (
        run_proxy(tmp_path / "routes.yaml", full) as proxy,
        client() as http,
        Traffic(proxy) as traffic,
    ):
        for bad, problem in (
            (cut_at_a_route, "3 routes missing"),
            (emptied, "the route table is empty"),
            (cut_mid_line, "does not end with a line break"),
        ):
            proxy.routes.write_text(bad)  # in place, as an editor or `>` would
            assert wait_until(lambda bad=bad: error_revision(http, proxy) == revision(bad))
            status = status_of(http, proxy)
            assert status["config"]["revision"] == revision(full)  # type: ignore[index]
            assert problem in status["config"]["last_error"]["message"]  # type: ignore[index]

        # A slow writer: part of the table, a pause longer than the watch's settling,
        # then the rest. The part is not applied; the whole file is, once finished.
        first = grown[: grown.index("  - {id: a-legacy")]
        with proxy.routes.open("w") as out:
            out.write(first)
            out.flush()
            paused = time.monotonic()
            while time.monotonic() - paused < 1.6:
                assert status_of(http, proxy)["config"]["revision"] == revision(full)  # type: ignore[index]
                time.sleep(0.1)
            out.write(grown[len(first) :])
        assert wait_until(lambda: status_of(http, proxy)["config"]["revision"] == revision(grown))  # type: ignore[index]
        assert status_of(http, proxy)["config"]["last_error"] is None  # type: ignore[index]
        assert http.get(proxy.url + "/echo/extra").headers["x-upstream"] == "modern"
    assert traffic.wrong == []
    assert traffic.sent > 100


def error_revision(http: httpx.Client, proxy: Proxy) -> str | None:
    error = status_of(http, proxy)["config"]["last_error"]  # type: ignore[index]
    return error["revision"] if error else None


@pytest.mark.redis
def test_sighup_on_two_workers_keeps_the_guard(
    upstreams: Upstreams, redis_env: dict[str, str], tmp_path: Path
) -> None:
    full = routes_yaml(upstreams.legacy.url, upstreams.modern.url, ROUTES)
    backward = full.replace("path: /echo/late, stage: modern", "path: /echo/late, stage: legacy")
    forward = full.replace("path: /echo/a, stage: legacy", "path: /echo/a, stage: modern")
    env = {
        **redis_env,
        # uvicorn keeps the old worker when a new one is not ready within this many
        # seconds (5 by default): generous, for a machine busy with other tests.
        "UVICORN_TIMEOUT_WORKER_HEALTHCHECK": "30",
    }
    with run_proxy(tmp_path / "routes.yaml", full, env=env, workers=2) as proxy:
        http = fresh_connections()  # a new connection per request: either worker answers
        before = workers_serving(http, proxy, revision(full), set())

        hide_from_the_watch(proxy.routes, backward)  # only SIGHUP can bring it in
        os.kill(proxy.pid, signal.SIGHUP)
        after = workers_serving(http, proxy, revision(full), before)
        refusals = 0
        for _ in range(40):
            status = status_of(http, proxy)
            if status["worker"]["pid"] in after:  # type: ignore[index]  # (not one being retired)
                error = status["config"]["last_error"]  # type: ignore[index]
                assert error["revision"] == revision(backward)
                assert "moved back from modern to legacy" in error["message"]
                refusals += 1
            assert side_of(http, proxy, "/echo/late") == "modern"
        assert refusals > 0

        hide_from_the_watch(proxy.routes, forward)
        os.kill(proxy.pid, signal.SIGHUP)
        workers_serving(http, proxy, revision(forward), before | after)
        # (an old worker may finish a last request while it is being retired)
        assert wait_until(
            lambda: all(side_of(http, proxy, "/echo/a") == "modern" for _ in range(20))
        )


def side_of(http: httpx.Client, proxy: Proxy, path: str) -> str | None:
    return get_across_restart(http, proxy.url + path).headers.get("x-upstream")
