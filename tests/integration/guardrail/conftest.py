"""The guardrail's foreign app pair, steady traffic through the proxy, and small readers.

Legacy and modern are two processes of `tests.integration.guardrail.upstreams:app`;
tests switch modern's behaviour per path through its `/_control` endpoint while
`Traffic` keeps a bounded stream of requests going (a few threads, distinct sticky
keys, every answer recorded with its time and the upstream that gave it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.integration.proxy.conftest import Upstreams
from tests.support.servers import run_app

APP = "tests.integration.guardrail.upstreams:app"
CLIENTS = 200
"""Distinct sticky keys (`x-client`), so a 50 % canary splits them about evenly."""


@pytest.fixture(scope="module")
def pair() -> Iterator[Upstreams]:
    with (
        run_app(APP, env={"APP_ROLE": "legacy"}) as legacy,
        run_app(APP, env={"APP_ROLE": "modern"}) as modern,
    ):
        yield Upstreams(legacy, modern)


def control(server_url: str, path: str, *, fail_every: int = 0, slow: float = 1.0) -> None:
    params = {"path": path, "fail_every": str(fail_every), "slow": str(slow)}
    httpx.post(server_url + "/_control", params=params, timeout=5).raise_for_status()


@dataclass(frozen=True)
class Answer:
    at: float
    path: str
    status: int
    upstream: str


@dataclass
class Traffic:
    """Requests to `paths` from `threads` threads until stopped (bounded by `seconds`)."""

    base_url: str
    paths: list[str]
    threads: int = 4
    seconds: float = 60.0
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Traffic:
        for number in range(self.threads):
            worker = threading.Thread(target=self._loop, args=(number,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=10)

    def _loop(self, number: int) -> None:
        deadline = time.monotonic() + self.seconds
        count = number
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set() and time.monotonic() < deadline:
                path = self.paths[count % len(self.paths)]
                headers = {"x-client": f"c{(count // len(self.paths)) % CLIENTS}"}
                count += self.threads
                try:
                    reply = http.get(self.base_url + path, headers=headers)
                    answer = Answer(time.monotonic(), path, reply.status_code,
                                    reply.headers.get("x-upstream", "proxy"))  # fmt: skip
                except httpx.HTTPError:
                    answer = Answer(time.monotonic(), path, 0, "none")
                with self._lock:
                    self.answers.append(answer)

    def of(self, path: str, since: float = 0.0) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.path == path and a.at >= since]


def wait_for(check: object, *, timeout: float, step: float = 0.1) -> object:
    """Poll `check()` until it returns something truthy; that value, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()  # type: ignore[operator]
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout:g} s (last value {value!r})")
        time.sleep(step)


def status_routes(http: httpx.Client, base_url: str) -> dict[str, dict[str, object]]:
    status = http.get(base_url + "/_strangler/api/status").json()
    return {route["id"]: route for route in status["routes"]}
