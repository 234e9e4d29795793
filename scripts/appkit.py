"""Driving the social app's servers from a benchmark: start a variant, time one call.

Shared by `bench_apps.py` (the side-by-side latency table) and `apps_mix.py` (the
read-heavy mix). Database operations are counted server-side from `serverStatus`
opcounters, so a call's count includes whatever else touched the server meanwhile:
the benches make sure nothing else does.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from http.client import HTTPConnection, RemoteDisconnected
from typing import Any

import httpx
import redis

from strangler.children import stop_group
from strangler.embedded_db import free_port
from strangler.seed import PRESETS, SEED_PASSWORD, config_for, seed_database
from strangler.stack import Supervisor, uvicorn_command

OPCOUNTERS = ("insert", "query", "update", "delete", "getmore", "command")


def db_ops(db: Any) -> int:
    counters = db.command("serverStatus")["opcounters"]
    return sum(int(counters.get(name, 0)) for name in OPCOUNTERS)


@dataclass
class App:
    """One variant: its uvicorn child, URL and login token."""

    name: str
    env: dict[str, str]
    supervisor: Supervisor
    url: str = ""
    token: str = ""
    keep_alive: bool = False  # one connection, kept between calls
    http: HTTPConnection | None = None

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        module = "legacy.app:app" if self.name == "legacy" else "modern.app:app"
        command = uvicorn_command(module, host="127.0.0.1", port=port)
        self.supervisor.spawn(self.name, command, {**os.environ, **self.env})
        # Modern builds its indexes at start-up: the first start on a big set takes a while.
        self.supervisor.wait_ready(self.name, self.url + "/healthz", timeout=1800)
        body = {"username": "demo", "password": SEED_PASSWORD}
        reply = httpx.post(self.url + "/api/auth/login", json=body, timeout=120)
        reply.raise_for_status()
        self.token = reply.json()["token"]
        self.close()  # a restart: the kept connection went with the old process

    def connection(self, timeout: float) -> HTTPConnection:
        """The kept connection (opened on first use), or a new one per call."""
        if self.http is not None:
            return self.http
        host, port = self.url.removeprefix("http://").split(":")
        conn = HTTPConnection(host, int(port), timeout=timeout)
        if self.keep_alive:
            self.http = conn
        return conn

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


def call(
    app: App, path: str, timeout: float, db: Any, method: str = "GET", body: Any = None
) -> dict[str, Any]:
    """One timed request. The client is the standard library's: it reads a body with
    buffered C-level reads, where httpx's pure-Python parsing cost 3.9 ms on a 2 MB
    body here (http.client 0.5 ms), which would be counted as the server's growth."""
    headers = {"Authorization": f"Bearer {app.token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    before = db_ops(db)
    for attempt in (1, 2):
        conn = app.connection(timeout)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=payload, headers=headers)
            reply = conn.getresponse()
            content = reply.read()
        except TimeoutError:
            app.close()
            return {"ms": None, "timed_out_after": timeout}
        except (RemoteDisconnected, ConnectionError):
            app.close()  # the server closed an idle kept connection: once more, afresh
            if attempt == 2:
                raise
            continue
        break
    ms = (time.perf_counter() - started) * 1000
    if not app.keep_alive:
        conn.close()
    ops = db_ops(db) - before - 1  # minus the first serverStatus itself
    return {"ms": ms, "status": reply.status, "bytes": len(content), "db_ops": ops}


def data_set(name: str) -> Any:
    """A seed preset by name (`demo`, `case-study`), or `small`: the case study / 10."""
    if name in PRESETS:
        return PRESETS[name]
    big = PRESETS["case-study"]
    return config_for("case-study", users=big.users // 10, rooms=big.rooms // 10,
                      messages=big.messages // 10)  # fmt: skip


def ensure_seeded(db: Any, config: Any) -> dict[str, int]:
    """Seed `config` into `db` unless it already holds exactly that many documents."""
    counts = {name: db[name].estimated_document_count() for name in ("users", "rooms", "messages")}
    wanted = {"users": config.users, "rooms": config.rooms, "messages": config.messages}
    if counts != wanted:
        print(f"seeding {wanted} (found {counts}) ...", flush=True)
        started = time.perf_counter()
        seed_database(db, config, drop=True)
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return wanted


def forget_cache(url: str, prefix: str) -> None:
    """Delete the keys the modern variants left in Redis (nothing if Redis is down)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    except redis.RedisError:
        pass


def restart_legacy(apps: dict[str, App], supervisor: Supervisor) -> None:
    """Legacy is still busy with the abandoned call: restart it, keeping the others."""
    for index, (name, process) in enumerate(supervisor.children):
        if name == "legacy":
            stop_group(process)
            del supervisor.children[index]
            break
    apps["legacy"].start()
