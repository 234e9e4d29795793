"""Measure the legacy app on the case-study data set: median latency and payload size.

    .venv/bin/python scripts/measure_legacy.py [--repeats 3] [--timeout 1800]

Seeds the `case-study` preset (5,000 users, 500 rooms, 200,000 messages) once into a
data directory it keeps (`.strangler/case-study/data`, reused on the next run), runs
`legacy.app:app` under uvicorn, logs in as `demo` and times, round after round
(alternating the endpoints), `GET /api/home`, `GET /api/rooms` and
`GET /api/rooms/{id}/messages` on the room with the most members. A call that times
out is recorded as such; legacy is then restarted (it is still busy with the
abandoned request: its handlers block the event loop) and that endpoint is dropped
from later rounds. Prints what it ran on and writes the raw numbers as JSON.

The embedded database is much slower than MongoDB, so these are the "before" figures
of this machine and engine, to compare with modern's on the same run, not
production latencies. MONGODB_URI, when set, is used instead of the embedded server.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pymongo
from benchkit import environment, save  # scripts/ is on sys.path when run as a script

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from strangler.embedded_db import free_port  # noqa: E402
from strangler.seed import PRESETS, SEED_PASSWORD, Progress, seed_database  # noqa: E402
from strangler.stack import Supervisor, database, uvicorn_command  # noqa: E402

CASE_STUDY = PRESETS["case-study"]
PACKAGES = ("fastapi", "starlette", "uvicorn", "pymongo", "httpx", "SecantusDB")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per call")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".strangler/case-study/data")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-results/legacy.json")
    parser.add_argument(
        "--endpoints", default="messages,home,rooms",
        help="comma-separated subset of home,rooms,messages, in round order",
    )  # fmt: skip
    return parser.parse_args()


def ensure_seeded(db: Any) -> dict[str, int]:
    """Seed the preset unless the database already holds exactly it (a run kept it)."""
    counts = {name: db[name].count_documents({}) for name in ("users", "rooms", "messages")}
    wanted = {"users": CASE_STUDY.users, "rooms": CASE_STUDY.rooms, "messages": CASE_STUDY.messages}
    if counts != wanted:
        print(f"seeding the case-study set (found {counts}) ...", flush=True)
        started = time.perf_counter()
        seed_database(db, CASE_STUDY, drop=True, progress=Progress())
        print(f"seeded in {time.perf_counter() - started:.0f}s", flush=True)
        counts = wanted
    return counts


def largest_room(db: Any) -> tuple[str, int, int]:
    """The room with the most members: its id, member count and message count."""
    rooms = list(db.rooms.find({}, {"member_ids": 1}))
    room = max(rooms, key=lambda r: (len(r["member_ids"]), r["_id"]))
    return (
        str(room["_id"]),
        len(room["member_ids"]),
        db.messages.count_documents({"room_id": room["_id"]}),
    )


class Legacy:
    """One `uvicorn legacy.app:app` child, restartable after an abandoned request."""

    def __init__(self, db_uri: str) -> None:
        self.env = {**os.environ, "MONGODB_URI": db_uri}
        self.supervisor = Supervisor()
        self.url = ""

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        command = uvicorn_command("legacy.app:app", host="127.0.0.1", port=port)
        self.supervisor.spawn("legacy", command, self.env)
        self.supervisor.wait_ready("legacy", self.url + "/healthz")

    def restart(self) -> None:
        self.supervisor.stop_all()
        self.start()

    def token(self) -> str:
        body = {"username": "demo", "password": SEED_PASSWORD}
        response = httpx.post(self.url + "/api/auth/login", json=body, timeout=60)
        response.raise_for_status()
        return str(response.json()["token"])


def call(legacy: Legacy, path: str, token: str, timeout: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    try:
        response = httpx.get(legacy.url + path, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return {"seconds": None, "timed_out_after": timeout}
    seconds = time.perf_counter() - started
    body = response.json()
    items = len(body) if isinstance(body, list) else {k: len(v) for k, v in body.items()
                                                      if isinstance(v, list)}  # fmt: skip
    return {"seconds": seconds, "status": response.status_code, "bytes": len(response.content),
            "items": items}  # fmt: skip


def main() -> int:
    args = parse_args()
    with database(args.data_dir) as db_info:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(db_info.uri)
        try:
            db = client.get_default_database()
            counts = ensure_seeded(db)
            room = largest_room(db)
        finally:
            client.close()
        env = environment(
            PACKAGES,
            data=counts,
            largest_room={"id": room[0], "members": room[1], "messages": room[2]},
        )
        print(json.dumps(env, indent=2), flush=True)
        paths = {"home": "/api/home", "rooms": "/api/rooms",
                 "messages": f"/api/rooms/{room[0]}/messages"}  # fmt: skip
        order = [name for name in args.endpoints.split(",") if name]
        legacy = Legacy(db_info.uri)
        legacy.start()
        try:
            results = run_rounds(legacy, paths, order, args.repeats, args.timeout)
        finally:
            legacy.supervisor.stop_all()
    report(results, paths)
    save({"environment": env, "paths": paths, "runs": results}, args.out)
    return 0


def run_rounds(
    legacy: Legacy, paths: dict[str, str], order: list[str], repeats: int, timeout: float
) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in order}
    token = legacy.token()
    for round_number in range(1, repeats + 1):
        for name in order:
            if any(run["seconds"] is None for run in results[name]):
                continue  # timed out before: not worth another half hour
            run = call(legacy, paths[name], token, timeout)
            results[name].append(run)
            shown = "timed out" if run["seconds"] is None else f"{run['seconds']:.2f}s"
            print(f"round {round_number} {name:<8} {shown} {run.get('bytes', '')}", flush=True)
            if run["seconds"] is None:
                legacy.restart()
                token = legacy.token()
    return results


def report(results: dict[str, list[dict[str, Any]]], paths: dict[str, str]) -> None:
    print(f"\n{'endpoint':<44} {'median s':>9} {'min-max s':>15} {'bytes':>12}  runs")
    for name, runs in results.items():
        times = [run["seconds"] for run in runs if run["seconds"] is not None]
        sizes = [run["bytes"] for run in runs if run["seconds"] is not None]
        timed_out = len(runs) - len(times)
        median = f"{statistics.median(times):9.2f}" if times else f"{'—':>9}"
        spread = f"{min(times):.2f}-{max(times):.2f}" if times else "—"
        size = f"{int(statistics.median(sizes)):12,d}" if sizes else f"{'—':>12}"
        note = f", {timed_out} timed out" if timed_out else ""
        print(f"GET {paths[name]:<40} {median} {spread:>15} {size}  {len(times)}{note}")


if __name__ == "__main__":
    sys.exit(main())
