"""Legacy vs modern, side by side on the same data: latency, payload, database operations.

    .venv/bin/python scripts/bench_apps.py [--rounds 3] [--calls 5] [--timeout 120]
                                           [--sizes case-study,small] [--out FILE]
                                           [--mix-size small] [--mix-requests 100]

For each data set (the `case-study` preset — 5,000 users, 500 rooms, 200,000
messages — and one 10x smaller, to show growth), seeded once into a data directory
this script keeps under `.strangler/bench/`, it runs three variants as separate
uvicorn processes on the same database: legacy, modern with its Redis cache, and
modern with the cache off (MODERN_CACHE_TTL=0). Both data sets are up for the whole
run, each on its own embedded server, and calls alternate over every data set and
variant per endpoint (small-modern, large-modern, small-modern, ...; legacy once per
round), so a growth ratio compares calls made side by side on a noisy machine, not
minutes apart. Each call records wall time, payload bytes and the
database operations it caused, counted server-side from `serverStatus` opcounters
(the bench is the only client between two readings; modern's and legacy's driver
heartbeats may add one now and then). A legacy call that times out is recorded and
that endpoint is not asked of legacy again (legacy is restarted: its handlers block
the event loop, so it is still busy with the abandoned request).

Then, on the `--mix-size` data set, a read-heavy mix (90% reads over home, rooms,
messages, users, user profile and user rooms; 10% writes: post a message, toggle a
reaction), the same seeded sequence for modern with and without its cache, in
alternating rounds: database operations per request (opcounters) and the reduction
the cache brings. The mix's writes are undone afterwards (posted messages deleted,
reactions and rooms' activity restored) so the seeded set stays as it was.

Each modern variant's first call per endpoint (cold cache, cold connections) is made
before the rounds and reported apart, so medians are the steady state. Calls go
through the standard library's `http.client` (httpx's own parsing of a 2 MB body
took longer than the server's work on it); by default every call opens a new
connection, and `--keep-alive` keeps one per variant. `--variants
modern,modern-nocache` skips legacy.

Prints what it ran on, a table per data set (median and p95 ms, bytes, db ops,
legacy/modern ratios), the growth table (large/small median and bytes per endpoint
and variant; the acceptance bound is 1.5x for modern) and the mix, and writes the
raw numbers as JSON. Figures are ratios between variants on
this engine (SecantusDB, 2-27x slower than mongod), not production latencies.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection, RemoteDisconnected
from pathlib import Path
from typing import Any

import httpx
import pymongo

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchkit import environment, print_environment  # noqa: E402  (scripts/ is on sys.path)

from strangler.embedded_db import free_port  # noqa: E402
from strangler.seed import PRESETS, SEED_PASSWORD, config_for, seed_database  # noqa: E402
from strangler.stack import Supervisor, database, uvicorn_command  # noqa: E402

PACKAGES = ("fastapi", "starlette", "uvicorn", "pymongo", "redis", "SecantusDB")
VARIANTS = ("legacy", "modern", "modern-nocache")
ENDPOINTS = ("home", "rooms", "messages", "users", "search", "user_rooms")
MODERN_VARIANTS = ("modern", "modern-nocache")
GROWTH_BOUND = 1.5
MIX_WRITE_SHARE = 0.1
OPCOUNTERS = ("insert", "query", "update", "delete", "getmore", "command")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="A B C rounds (default 3)")
    parser.add_argument("--calls", type=int, default=5, help="modern calls per round")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per call")
    parser.add_argument("--sizes", default="small,case-study", help="data sets, in order")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-results/apps.json")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help="which of legacy,modern,modern-nocache"
    )
    parser.add_argument(
        "--keep-alive", action="store_true",
        help="one kept connection per variant (default: a new client per call, as before)",
    )  # fmt: skip
    parser.add_argument("--mix-size", default="small", help="data set of the mix ('' = none)")
    parser.add_argument("--mix-requests", type=int, default=100, help="requests per mix round")
    parser.add_argument("--mix-rounds", type=int, default=2, help="A B rounds of the mix")
    return parser.parse_args()


def data_set(name: str) -> Any:
    big = PRESETS["case-study"]
    if name == "case-study":
        return big
    return config_for("case-study", users=big.users // 10, rooms=big.rooms // 10,
                      messages=big.messages // 10)  # fmt: skip


def ensure_seeded(db: Any, config: Any) -> dict[str, int]:
    counts = {name: db[name].estimated_document_count() for name in ("users", "rooms", "messages")}
    wanted = {"users": config.users, "rooms": config.rooms, "messages": config.messages}
    if counts != wanted:
        print(f"seeding {wanted} (found {counts}) ...", flush=True)
        started = time.perf_counter()
        seed_database(db, config, drop=True)
        print(f"seeded in {time.perf_counter() - started:.0f}s", flush=True)
    return wanted


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


def target_paths(db: Any) -> dict[str, str]:
    busiest = next(iter(db.messages.aggregate([
        {"$group": {"_id": "$room_id", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}, {"$limit": 1},
    ])))  # fmt: skip
    demo = db.users.find_one({"username": "demo"}, {"_id": 1})
    return {
        "home": "/api/home",
        "rooms": "/api/rooms",
        "messages": f"/api/rooms/{busiest['_id']}/messages",
        "users": "/api/users",
        "search": "/api/search?q=an",
        "user_rooms": f"/api/users/{demo['_id']}/rooms",
    }


@dataclass
class Stand:
    """One data set, up for the whole run beside the others: its database and apps."""

    size: str
    db: Any
    counts: dict[str, int]
    paths: dict[str, str]
    apps: dict[str, App]
    supervisor: Supervisor
    runs: dict[str, dict[str, list[dict[str, Any]]]]
    cold: dict[str, dict[str, Any]]


@contextmanager
def stand(size: str, args: argparse.Namespace) -> Iterator[Stand]:
    """Seed (once) and serve one data set: its own embedded server, Redis prefix and apps."""
    config = data_set(size)
    with database(REPO_ROOT / ".strangler/bench" / size / "data") as info:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(info.uri)
        prefix = f"bench-{uuid.uuid4().hex[:8]}:"
        supervisor = Supervisor()
        apps: dict[str, App] = {}
        try:
            db = client.get_default_database()
            counts = ensure_seeded(db, config)
            base = {
                "MONGODB_URI": info.uri,
                "REDIS_URL": args.redis_url,
                "REDIS_KEY_PREFIX": prefix,
            }
            every = {
                "legacy": App("legacy", {"MONGODB_URI": info.uri}, supervisor),
                "modern": App("modern", {**base, "MODERN_CACHE_TTL": "300"}, supervisor),
                "modern-nocache": App("modern-nocache", {**base, "MODERN_CACHE_TTL": "0",
                                                         "MODERN_PROFILE_TTL": "0"}, supervisor),
            }  # fmt: skip
            apps = {v: every[v] for v in VARIANTS if v in args.variants.split(",")}
            for app in apps.values():
                app.keep_alive = args.keep_alive
                app.start()
            runs = {e: {v: [] for v in apps} for e in ENDPOINTS}
            yield Stand(size, db, counts, target_paths(db), apps, supervisor, runs,
                        {e: {} for e in ENDPOINTS})  # fmt: skip
        finally:
            for app in apps.values():
                app.close()
            supervisor.stop_all()
            client.close()
            forget_cache(args.redis_url, prefix)


def cold_calls(stands: list[Stand], timeout: float) -> None:
    """The first call of each modern variant per endpoint (cold cache, cold connections),
    made before the rounds and reported apart, so medians are the steady state."""
    for here in stands:
        for endpoint in ENDPOINTS:
            for variant in (v for v in here.apps if v != "legacy"):
                run = call(here.apps[variant], here.paths[endpoint], timeout, here.db)
                here.cold[endpoint][variant] = run
                print(f"{here.size} cold {endpoint:<10} {variant:<15} {run['ms']:.0f} ms",
                      flush=True)  # fmt: skip


def run_rounds(stands: list[Stand], args: argparse.Namespace) -> None:
    """Per round and endpoint, calls alternate over every data set and variant
    (small-modern, large-modern, small-modern, ...), so that a growth ratio compares
    calls made side by side, not minutes apart. Legacy gets one call per round."""
    for round_number in range(1, args.rounds + 1):
        for endpoint in ENDPOINTS:
            for turn in range(args.calls):
                for here in stands:
                    for variant, app in here.apps.items():
                        runs = here.runs[endpoint][variant]
                        if (variant == "legacy" and turn) or any(r["ms"] is None for r in runs):
                            continue  # one legacy call per round; a timeout is not retried
                        run = call(app, here.paths[endpoint], args.timeout, here.db)
                        runs.append(run)
                        if run["ms"] is None:
                            restart_legacy(here.apps, here.supervisor)
            for here in stands:
                shown = []
                for variant, runs in here.runs[endpoint].items():
                    last = runs[-1] if runs else {"ms": None}
                    shown.append(f"{variant} " + ("timeout" if last["ms"] is None
                                                  else f"{last['ms']:.0f} ms"))  # fmt: skip
                print(f"{here.size} r{round_number} {endpoint:<10} {', '.join(shown)}", flush=True)


def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Every data set up at once; cold calls, alternating rounds, then the mix."""
    sizes = [size for size in args.sizes.split(",") if size]
    with ExitStack() as stack:
        stands = [stack.enter_context(stand(size, args)) for size in sizes]
        cold_calls(stands, args.timeout)
        run_rounds(stands, args)
        results: dict[str, Any] = {}
        for here in stands:
            mix = None
            if here.size == args.mix_size and set(MODERN_VARIANTS) <= set(here.apps):
                mix = run_mix(here.apps, here.db, args)
            results[here.size] = {"data": here.counts, "paths": here.paths, "runs": here.runs,
                                  "cold": here.cold, "mix": mix}  # fmt: skip
    return results


MIX_READS = ("home", "rooms", "messages", "users", "profile", "user_rooms")
Step = tuple[str, str, str, Any]  # kind, method, path, JSON body


def mix_plan(db: Any, requests: int, seed: int = 7) -> tuple[list[Step], dict[str, Any]]:
    """The same seeded sequence for every variant, and what it will write (to undo)."""
    demo = db.users.find_one({"username": "demo"}, {"_id": 1})["_id"]
    rooms = list(db.rooms.find({"member_ids": demo}, {"last_message_at": 1}))
    targets = {
        room["_id"]: db.messages.find_one({"room_id": room["_id"], "deleted": False})
        for room in rooms
    }
    users = [str(u["_id"]) for u in db.users.find({}, {"_id": 1}).limit(200)]
    rng = random.Random(seed)
    reads: dict[str, Any] = {
        "home": lambda: "/api/home",
        "rooms": lambda: "/api/rooms",
        "messages": lambda: f"/api/rooms/{rng.choice(rooms)['_id']}/messages",
        "users": lambda: "/api/users",
        "profile": lambda: f"/api/users/{rng.choice(users)}",
        "user_rooms": lambda: f"/api/users/{demo}/rooms",
    }
    plan: list[Step] = []
    for index in range(requests):
        if rng.random() >= MIX_WRITE_SHARE:
            kind = rng.choice(MIX_READS)
            plan.append((kind, "GET", reads[kind](), None))
            continue
        room = rng.choice(rooms)
        target = targets[room["_id"]]
        if rng.random() < 0.5 or target is None:
            path = f"/api/rooms/{room['_id']}/messages"
            plan.append(("post", "POST", path, {"text": f"mix message {index}"}))
        else:
            path = f"/api/messages/{target['_id']}/reactions"
            plan.append(("react", "POST", path, {"emoji": "👍"}))
    undo = {"author": demo, "rooms": rooms, "messages": [t for t in targets.values() if t]}
    return plan, undo


def undo_mix(db: Any, undo: dict[str, Any], since: Any) -> None:
    """Delete the mix's messages; restore reactions and rooms' activity as seeded."""
    db.messages.delete_many({"author_id": undo["author"], "created_at": {"$gte": since}})
    for message in undo["messages"]:
        reactions = message.get("reactions") or {}
        db.messages.update_one({"_id": message["_id"]}, {"$set": {"reactions": reactions}})
    for room in undo["rooms"]:
        at = room.get("last_message_at")
        db.rooms.update_one({"_id": room["_id"]}, {"$set": {"last_message_at": at}})


def run_mix(apps: dict[str, App], db: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Rounds alternate the variants (A B A B); each runs the whole plan."""
    plan, undo = mix_plan(db, args.mix_requests)
    since = datetime.now(UTC) - timedelta(seconds=1)
    rounds: dict[str, list[dict[str, Any]]] = {v: [] for v in MODERN_VARIANTS}
    try:
        for round_number in range(1, args.mix_rounds + 1):
            for variant in MODERN_VARIANTS:
                app = apps[variant]
                headers = {"Authorization": f"Bearer {app.token}"}
                times: list[float] = []
                errors = 0
                with httpx.Client(base_url=app.url, headers=headers, timeout=args.timeout) as http:
                    before = db_ops(db)
                    for _, method, path, body in plan:
                        started = time.perf_counter()
                        reply = http.request(method, path, json=body)
                        times.append((time.perf_counter() - started) * 1000)
                        errors += reply.status_code >= 400
                    ops = db_ops(db) - before - 1
                rounds[variant].append({"requests": len(plan), "db_ops": ops, "errors": errors,
                                        "ms": times})  # fmt: skip
                print(f"mix r{round_number} {variant:<15} {ops / len(plan):6.2f} db ops/request, "
                      f"median {statistics.median(times):.1f} ms, {errors} errors",
                      flush=True)  # fmt: skip
    finally:
        undo_mix(db, undo, since)
    kinds = {kind: sum(step[0] == kind for step in plan) for kind in (*MIX_READS, "post", "react")}
    return {"plan": kinds, "rounds": rounds}


def forget_cache(url: str, prefix: str) -> None:
    """Delete the keys the modern variants left in Redis (nothing if Redis is down)."""
    import redis

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
            from strangler.children import stop_group

            stop_group(process)
            del supervisor.children[index]
            break
    apps["legacy"].start()


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    done = [r for r in runs if r["ms"] is not None]
    if not done:
        return {"median_ms": None, "timeouts": len(runs)}
    times = sorted(r["ms"] for r in done)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "median_ms": statistics.median(times), "p95_ms": p95, "min_ms": times[0],
        "max_ms": times[-1], "bytes": int(statistics.median(r["bytes"] for r in done)),
        "db_ops": int(statistics.median(r["db_ops"] for r in done)),
        "timeouts": len(runs) - len(done), "n": len(done),
    }  # fmt: skip


def report(results: dict[str, Any]) -> None:
    for size, result in results.items():
        print(f"\n== {size}: {result['data']} ==")
        header = (
            f"{'endpoint':<10} {'variant':<15} {'median ms':>10} {'p95 ms':>9} {'spread ms':>17}"
        )
        print(header + f" {'bytes':>11} {'db ops':>7} {'legacy/this':>12}")
        for endpoint, by_variant in result["runs"].items():
            stats = {v: summary(r) for v, r in by_variant.items()}
            legacy = stats.get("legacy", {}).get("median_ms")
            for variant, s in stats.items():
                if s["median_ms"] is None:
                    print(f"{endpoint:<10} {variant:<15} {'timeout':>10}")
                    continue
                ratio = f"{legacy / s['median_ms']:11.1f}x" if legacy else f"{'-':>12}"
                spread = f"{s['min_ms']:.0f}-{s['max_ms']:.0f}"
                print(f"{endpoint:<10} {variant:<15} {s['median_ms']:10.1f} {s['p95_ms']:9.1f} "
                      f"{spread:>17} {s['bytes']:11,d} {s['db_ops']:7d} {ratio}")  # fmt: skip
            result.setdefault("summary", {})[endpoint] = stats
        cold = [f"{e} {v} {r['ms']:.0f}" for e, by in result.get("cold", {}).items()
                for v, r in by.items() if r.get("ms") is not None]  # fmt: skip
        if cold:
            print("first (cold) calls, ms, not in the medians: " + "; ".join(cold))


def report_growth(results: dict[str, Any]) -> dict[str, Any]:
    """Large / small median and bytes per endpoint and variant (first and last size)."""
    sizes = list(results)
    if len(sizes) < 2:
        return {}
    small, large = results[sizes[0]]["summary"], results[sizes[-1]]["summary"]
    print(f"\n== growth {sizes[0]} -> {sizes[-1]} (modern's bound: {GROWTH_BOUND}x) ==")
    print(f"{'endpoint':<10} {'variant':<15} {'small ms':>9} {'large ms':>9} {'growth':>7} "
          f"{'small bytes':>12} {'large bytes':>12} {'bytes x':>8}  verdict")  # fmt: skip
    growth: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        for variant in (v for v in VARIANTS if v in small[endpoint] and v in large[endpoint]):
            a, b = small[endpoint][variant], large[endpoint][variant]
            if a.get("median_ms") is None or b.get("median_ms") is None:
                print(f"{endpoint:<10} {variant:<15} {'timeout':>9}")
                continue
            ratio, size_ratio = b["median_ms"] / a["median_ms"], b["bytes"] / max(a["bytes"], 1)
            verdict = "-" if variant == "legacy" else (
                "ok" if ratio <= GROWTH_BOUND else "OVER")  # fmt: skip
            growth.setdefault(endpoint, {})[variant] = {"growth": ratio, "bytes_growth": size_ratio}
            print(f"{endpoint:<10} {variant:<15} {a['median_ms']:9.1f} {b['median_ms']:9.1f} "
                  f"{ratio:6.2f}x {a['bytes']:12,d} {b['bytes']:12,d} {size_ratio:7.1f}x  "
                  f"{verdict}")  # fmt: skip
    return growth


def report_mix(results: dict[str, Any]) -> dict[str, Any]:
    """Database operations per request with and without the cache, and the reduction."""
    out: dict[str, Any] = {}
    for size, result in results.items():
        mix = result.get("mix")
        if not mix:
            continue
        print(f"\n== read-heavy mix on {size}: {mix['plan']} ==")
        per: dict[str, float] = {}
        for variant, rounds in mix["rounds"].items():
            requests = sum(r["requests"] for r in rounds)
            per[variant] = sum(r["db_ops"] for r in rounds) / requests
            times = [t for r in rounds for t in r["ms"]]
            spread = [round(r["db_ops"] / r["requests"], 2) for r in rounds]
            print(f"{variant:<15} {per[variant]:6.2f} db ops/request (rounds {spread}), "
                  f"median {statistics.median(times):.1f} ms, "
                  f"errors {sum(r['errors'] for r in rounds)}")  # fmt: skip
        cut = 1 - per["modern"] / per["modern-nocache"] if per.get("modern-nocache") else None
        if cut is not None:
            print(f"the cache cuts database operations by {cut:.0%} (bound: >= 50%)")
        out[size] = {"ops_per_request": per, "reduction": cut}
    return out


def main() -> int:
    # Stop cleanly on SIGTERM too (children and the embedded server are stopped in
    # `finally` blocks; a background job may have SIGINT ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args()
    env = environment(PACKAGES)
    print_environment("bench_apps", env)
    results = bench(args)
    report(results)
    growth = report_growth(results)
    mix = report_mix(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    everything = {"environment": env, "results": results, "growth": growth, "mix": mix}
    args.out.write_text(json.dumps(everything, indent=2))
    print(f"\nraw numbers: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
