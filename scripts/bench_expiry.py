"""Modern's tail after a cache expiry: each read of the load mix timed warm, then right
after its views and profiles expired, with and without stale-while-revalidate, side
by side in one run.

    .venv/bin/python scripts/bench_expiry.py --data-dir /tmp/cs-copy/data
                                             [--ttl 4] [--rounds 3] [--stale 0,60]
                                             [--only home,rooms] [--out FILE]

Starts the embedded database over `--data-dir` (a COPY of a seeded case-study data
directory: `cp -a .strangler/bench/case-study /tmp/cs-copy`; or an empty directory,
which it seeds with the case-study preset) and one modern worker per `--stale` value
(MODERN_STALE_SECONDS; 0 is the behaviour without stale-while-revalidate: the first
read after expiry rebuilds in line), each on its own Redis prefix, with
MODERN_CACHE_TTL and MODERN_PROFILE_TTL both at `--ttl` seconds so that everything a
read leaves in the cache expires during the pause. For each read of the mix (home,
the room list and its second page, the biggest room and a typical one with their
messages, search, a profile, a user's rooms), per round: fill each variant's cache,
time it warm (three calls), wait `--ttl` + 1.5 s, time the first request after
expiry on each variant (in alternating order), then wait `--settle` seconds for any
background rebuild and time it warm again. The after-expiry figure is what some user
pays once per TTL.

Prints what it ran on, then per read and variant: warm median, each round's
after-expiry time and the worst/warm ratio; `--out` writes the raw figures as JSON.
Calls go to modern directly over loopback, one at a time, a new connection each.
Figures are this engine's (SecantusDB, much slower than MongoDB), not production
latencies.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pymongo

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from appkit import App, call, forget_cache  # noqa: E402  (scripts/ is on sys.path)
from benchkit import environment, print_environment  # noqa: E402

from strangler.seed import config_for, seed_database  # noqa: E402
from strangler.stack import Supervisor, database  # noqa: E402

PACKAGES = ("fastapi", "uvicorn", "pymongo", "redis", "SecantusDB")
TIMEOUT = 120.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        required=True,
        help="a copy of a seeded case-study data directory (or an empty one)",
    )
    parser.add_argument("--ttl", type=int, default=4, help="MODERN_CACHE_TTL/PROFILE_TTL, s")
    parser.add_argument(
        "--stale", default="0,60", help="comma-separated MODERN_STALE_SECONDS, one modern each"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--settle",
        type=float,
        default=3.0,
        help="seconds after the after-expiry call before timing warm again",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--only", default="", help="comma-separated reads to time (default all)")
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def reads_of(db: Any, user_id: Any) -> dict[str, str]:
    """The mix's reads, on the rooms that cost the most: the biggest room by members
    (its member list), the busiest by messages is the same in the seeded sets."""
    rooms = sorted(db.rooms.find({}, {"member_ids": 1}), key=lambda r: -len(r["member_ids"]))
    big, typical = str(rooms[0]["_id"]), str(rooms[len(rooms) // 2]["_id"])
    someone = str(db.users.find_one({"username": {"$ne": "demo"}}, {"_id": 1})["_id"])
    return {
        "home": "/api/home",
        "rooms": "/api/rooms",
        "rooms-page2": "/api/rooms?limit=50&cursor=",  # filled in with page 1's cursor
        "room-big": f"/api/rooms/{big}",
        "messages-big": f"/api/rooms/{big}/messages",
        "room-typical": f"/api/rooms/{typical}",
        "messages-typical": f"/api/rooms/{typical}/messages",
        "search": "/api/search?q=an",
        "profile": f"/api/users/{someone}",
        "user-rooms": f"/api/users/{user_id}/rooms",
    }


def next_cursor(app: App) -> str:
    import httpx

    reply = httpx.get(app.url + "/api/rooms", headers={"Authorization": f"Bearer {app.token}"},
                      timeout=TIMEOUT)  # fmt: skip
    link = reply.headers.get("link", "")
    return link.split("cursor=")[1].split(">")[0].split("&")[0] if "cursor=" in link else ""


def timed(app: App, path: str, db: Any) -> float:
    result = call(app, path, TIMEOUT, db)
    if result.get("status") != 200:
        raise RuntimeError(f"{path}: {result}")
    return result["ms"] / 1000  # type: ignore[no-any-return]


def measure(
    apps: dict[str, App], reads: dict[str, str], db: Any, args: argparse.Namespace
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, path in reads.items():
        warm: dict[str, list[float]] = {variant: [] for variant in apps}
        expired: dict[str, list[float]] = {variant: [] for variant in apps}
        for round_ in range(args.rounds):
            order = list(apps) if round_ % 2 == 0 else list(apps)[::-1]
            for variant in order:
                timed(apps[variant], path, db)  # fill
                warm[variant] += [timed(apps[variant], path, db) for _ in range(3)]
            time.sleep(args.ttl + 1.5)
            for variant in order:
                expired[variant].append(timed(apps[variant], path, db))
            time.sleep(args.settle)
            for variant in order:
                warm[variant].append(timed(apps[variant], path, db))
        figures[name] = {}
        for variant in apps:
            median = statistics.median(warm[variant])
            figures[name][variant] = {
                "warm_s": warm[variant],
                "after_expiry_s": expired[variant],
                "warm_median_s": median,
            }
            after = " ".join(f"{s:7.3f}" for s in expired[variant])
            ratio = max(expired[variant]) / median
            print(f"{name:17} {variant:9} warm {median:7.3f} s   after expiry {after} s"
                  f"   worst/warm {ratio:6.1f}x", flush=True)  # fmt: skip
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = environment(PACKAGES, ttl=args.ttl, rounds=args.rounds)
    print_environment("bench_expiry", info)
    prefix = f"expiry-{uuid.uuid4().hex[:8]}:"
    supervisor = Supervisor()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    with database(args.data_dir) as running:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(running.uri)
        db = client.get_default_database()
        if db.users.estimated_document_count() == 0:
            print("seeding the case-study preset (about a minute)...", flush=True)
            seed_database(db, config_for("case-study"))
        apps: dict[str, App] = {}
        try:
            for stale in args.stale.split(","):
                env = {
                    "MONGODB_URI": running.uri, "REDIS_URL": args.redis_url,
                    "REDIS_KEY_PREFIX": f"{prefix}{stale}:", "MODERN_CACHE_TTL": str(args.ttl),
                    "MODERN_PROFILE_TTL": str(args.ttl), "MODERN_STALE_SECONDS": stale,
                }  # fmt: skip
                apps[f"stale={stale}"] = App(f"modern-{stale}", env, supervisor)
                apps[f"stale={stale}"].start()
            demo = db.users.find_one({"username": "demo"}, {"_id": 1})
            reads = reads_of(db, demo["_id"])
            reads["rooms-page2"] += next_cursor(next(iter(apps.values())))
            if args.only:
                reads = {k: v for k, v in reads.items() if k in args.only.split(",")}
            figures = measure(apps, reads, db, args)
        finally:
            supervisor.stop_all()
            client.close()
            forget_cache(args.redis_url, prefix)
    if args.out:
        args.out.write_text(json.dumps({"environment": info, "reads": figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
