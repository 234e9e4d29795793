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

Then, on the `--mix-size` data set, the read-heavy mix of `apps_mix.py` (90% reads,
10% writes, undone afterwards): database operations per request for modern with and
without its cache, and the reduction the cache brings.

Each modern variant's first call per endpoint (cold cache, cold connections) is made
before the rounds and reported apart, so medians are the steady state. Calls go
through the standard library's `http.client` (httpx's own parsing of a 2 MB body
took longer than the server's work on it); by default every call opens a new
connection, and `--keep-alive` keeps one per variant. `--variants
modern,modern-nocache` skips legacy; `modern-nocopies` (not run by default) is modern
with MODERN_LOCAL_VIEWS_MB=0, every view's body fetched from Redis per request.

Prints what it ran on, a table per data set (median and p95 ms, bytes, db ops,
legacy/modern ratios), the growth table (large/small median and bytes per endpoint
and variant; the acceptance bound is 1.5x for modern) and the mix, and writes the
raw numbers as JSON. Figures are ratios between variants on
this engine (SecantusDB, 2-27x slower than mongod), not production latencies.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymongo

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from appkit import (  # noqa: E402  (scripts/ is on sys.path)
    App,
    call,
    data_set,
    ensure_seeded,
    forget_cache,
    restart_legacy,
)
from apps_mix import MODERN_VARIANTS, report_mix, run_mix  # noqa: E402
from benchkit import environment, print_environment, save  # noqa: E402

from strangler.stack import Supervisor, database  # noqa: E402

PACKAGES = ("fastapi", "starlette", "uvicorn", "pymongo", "redis", "SecantusDB")
VARIANTS = ("legacy", "modern", "modern-nocopies", "modern-nocache")
DEFAULT_VARIANTS = ("legacy", "modern", "modern-nocache")
ENDPOINTS = ("home", "rooms", "messages", "users", "search", "user_rooms")
GROWTH_BOUND = 1.5


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
        "--variants", default=",".join(DEFAULT_VARIANTS), help=f"which of {','.join(VARIANTS)}"
    )
    parser.add_argument(
        "--keep-alive", action="store_true",
        help="one kept connection per variant (default: a new client per call, as before)",
    )  # fmt: skip
    parser.add_argument("--mix-size", default="small", help="data set of the mix ('' = none)")
    parser.add_argument("--mix-requests", type=int, default=100, help="requests per mix round")
    parser.add_argument("--mix-rounds", type=int, default=2, help="A B rounds of the mix")
    parser.add_argument(
        "--endpoints", default=",".join(ENDPOINTS), help=f"which of {','.join(ENDPOINTS)}"
    )
    args = parser.parse_args()
    args.endpoints = [e for e in args.endpoints.split(",") if e]
    unknown = sorted(set(args.endpoints) - set(ENDPOINTS))
    if unknown or not args.endpoints:
        parser.error(f"--endpoints: unknown {unknown}; known: {', '.join(ENDPOINTS)}")
    return args


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
            # No change feed: the bench is the only writer (modern's own writes drop its
            # caches as they are made), and the feed's half-second long polls would count
            # as database operations of whichever call is in flight.
            base = {
                "MONGODB_URI": info.uri,
                "REDIS_URL": args.redis_url,
                "REDIS_KEY_PREFIX": prefix,
                "MODERN_CHANGE_FEED": "0",
            }
            every = {
                "legacy": App("legacy", {"MONGODB_URI": info.uri}, supervisor),
                "modern": App("modern", {**base, "MODERN_CACHE_TTL": "300"}, supervisor),
                "modern-nocopies": App("modern-nocopies", {**base, "MODERN_CACHE_TTL": "300",
                                                           "MODERN_LOCAL_VIEWS_MB": "0"},
                                       supervisor),
                "modern-nocache": App("modern-nocache", {**base, "MODERN_CACHE_TTL": "0",
                                                         "MODERN_PROFILE_TTL": "0"}, supervisor),
            }  # fmt: skip
            apps = {v: every[v] for v in VARIANTS if v in args.variants.split(",")}
            for app in apps.values():
                app.keep_alive = args.keep_alive
                app.start()
            runs = {e: {v: [] for v in apps} for e in args.endpoints}
            yield Stand(size, db, counts, target_paths(db), apps, supervisor, runs,
                        {e: {} for e in args.endpoints})  # fmt: skip
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
        for endpoint in here.runs:
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
        for endpoint in args.endpoints:
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
    for endpoint in (e for e in ENDPOINTS if e in small and e in large):
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
    save({"environment": env, "results": results, "growth": growth, "mix": mix}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
