"""Watching the workers of a multi-worker proxy: which revision of the routes each serves.

Each request may reach any worker (the tests ask over a new connection each time), so
waiting for a reload means polling the status until every worker has answered with
the wanted revision. `hide_from_the_watch` makes an edit only a reload can bring in.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from tests.integration.proxy.conftest import Proxy


def get_across_restart(http: httpx.Client, url: str) -> httpx.Response:
    """GET `url`, asked once more if a worker being retired closed the connection.

    These proxies run under uvicorn's own supervisor, whose SIGHUP stops a worker that
    may just have accepted a connection it has not read yet: the client sees it closed
    unanswered. `strangler serve` drains instead (no failed request, tested in
    tests/e2e/serving); what these tests check is which routes each worker serves.
    """
    try:
        return http.get(url)
    except httpx.RemoteProtocolError:
        return http.get(url)


def status_of(http: httpx.Client, proxy: Proxy) -> dict[str, object]:
    """The admin API's status, from whichever worker answers."""
    return dict(get_across_restart(http, proxy.url + "/_strangler/api/status").json())


def workers_serving(
    http: httpx.Client, proxy: Proxy, wanted: str, old: set[int], timeout: float = 30
) -> set[int]:
    """Wait for two workers not in `old` that serve revision `wanted`; their pids."""
    seen: dict[int, str] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = status_of(http, proxy)
        pid = status["worker"]["pid"]  # type: ignore[index]
        if pid not in old:
            seen[pid] = status["config"]["revision"]  # type: ignore[index]
        if len(seen) >= 2 and set(seen.values()) == {wanted}:
            return set(seen)
        time.sleep(0.05)
    raise AssertionError(f"workers {seen} (old: {old}), wanted revision {wanted}")


def hide_from_the_watch(path: Path, text: str) -> None:
    """Same size, same inode, old mtime: the file watches cannot see this edit, so only
    SIGHUP or a reload (through the API, or from another worker through Redis) can."""
    before = os.stat(path)
    assert len(text) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
