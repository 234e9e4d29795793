"""Steady traffic through the proxy while a test changes how modern behaves.

`Traffic` keeps a bounded stream of requests going (a few threads, distinct sticky
keys, every answer recorded with its time and the upstream that gave it), so a test
can say what users saw before, during and after a guardrail decision.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

CLIENTS = 200
"""Distinct sticky keys (`x-client`), so a 50 % canary splits them about evenly."""


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
