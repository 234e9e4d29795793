"""A long Schemathesis pass against modern, through the proxy, with Schemathesis' CLI.

Starts an embedded database (or uses MONGODB_URI), modern on a Redis prefix of its
own (REDIS_URL, default the local server; its keys are deleted afterwards) and a
proxy whose route table sends every operation of modern's OpenAPI to modern; seeds a
caller with a room and messages; then runs

    st run <proxy>/openapi.json -H "Authorization: Bearer <token>" \\
        --checks not_a_server_error --exclude-path /api/auth/logout <your options>

Logout is left out because it would end the caller's session for the rest of the
run (the suite's bounded run gives each logout a session of its own). Any further
arguments go to `st run`, e.g.:

    .venv/bin/python scripts/schemathesis_modern.py --max-examples 200 --workers 2

Exits with Schemathesis' status (0: no 5xx found).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx
import redis

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from strangler.embedded_db import EmbeddedMongo  # noqa: E402
from tests.support.legacy_oddities import store_legacy_oddities  # noqa: E402
from tests.support.openapi_proxy import proxy_in_front_of  # noqa: E402
from tests.support.servers import run_app  # noqa: E402

PASSWORD = "correct horse battery"


def seed(base_url: str, mongo_uri: str) -> str:
    """A caller with a room (joined by a second user) and a few messages, some of them
    holding what only legacy stores (NaN text…); the caller's token."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        tokens = []
        for name in ("st_caller", "st_other"):
            body = {"username": f"{name}_{uuid.uuid4().hex[:6]}", "password": PASSWORD}
            reply = http.post("/api/auth/register", json=body)
            reply.raise_for_status()
            tokens.append(reply.json()["token"])
        me, other = ({"Authorization": f"Bearer {token}"} for token in tokens)
        room = http.post("/api/rooms", json={"name": "st-room"}, headers=me).json()
        http.post(f"/api/rooms/{room['id']}/join", headers=other).raise_for_status()
        for i in range(5):
            path = f"/api/rooms/{room['id']}/messages"
            http.post(path, json={"text": f"m{i}"}, headers=me).raise_for_status()
        store_legacy_oddities(mongo_uri, room["id"], room["member_ids"][0])
        return tokens[0]


def main(extra: list[str]) -> int:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"st-modern:{uuid.uuid4().hex[:12]}:"
    with ExitStack() as stack:
        mongo_uri = os.environ.get("MONGODB_URI")
        if not mongo_uri:
            mongo_uri = stack.enter_context(EmbeddedMongo()).uri + "/schemathesis"
        env = {"MONGODB_URI": mongo_uri, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix}
        modern = stack.enter_context(run_app("modern.app:app", env=env))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        proxy = stack.enter_context(proxy_in_front_of(modern.url, workdir / "routes.yaml"))
        token = seed(proxy.url, mongo_uri)
        command = [
            str(Path(sys.executable).with_name("st")), "run", f"{proxy.url}/openapi.json",
            "-H", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error",
            "--exclude-path", "/api/auth/logout",
            "--report-dir", str(workdir / "report"),
            *extra,
        ]  # fmt: skip
        print(
            "$", " ".join(c if "Bearer" not in c else '"Authorization: Bearer …"' for c in command)
        )
        try:
            return subprocess.call(command)
        finally:
            client = redis.Redis.from_url(redis_url)
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
