"""What the cockpit's pages cost beside `api/status`, with a week of history behind them.

    .venv/bin/python scripts/bench_cockpit.py [--routes 20] [--points 2016] [--rounds 15]

Starts the trivial upstream and a proxy (own Redis key prefix at REDIS_URL, default
127.0.0.1:6379, deleted afterwards) with `--routes` legacy routes, writes `--points`
periodic snapshots (a week at the default 5-minute interval) straight into its history,
then times `GET api/status`, the overview (whole page and the 5-second refresh
fragment) and a route page, alternating, `--rounds` times each. Prints medians, the
spread and each page's ratio to `api/status` (the same machine noise hits both).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis.asyncio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxy.history import HistoryStore
from proxy.history.recorder import snapshot
from tests.support.isolation import fresh_redis_prefix
from tests.support.servers import run_app

PATHS = {"status": "/api/status", "overview": "/", "refresh": "/?fragment=main",
         "route": "/routes/r1"}  # fmt: skip


async def _fill(url: str, prefix: str, routes: int, points: int) -> None:
    client = redis.asyncio.Redis.from_url(url)
    store = HistoryStore(client, prefix)
    states = {f"r{i}": {"stage": "legacy", "effective_stage": "legacy", "canary_percent": None}
              for i in range(1, routes + 1)}  # fmt: skip
    start = time.time() - points * 300
    for k in range(points):
        await store.add_point(snapshot(kind="interval", revision="bench", routes=states,
                                       window={"legacy": 9, "modern": k % 9},
                                       now=start + k * 300))  # fmt: skip
    await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=20)
    parser.add_argument("--points", type=int, default=2016)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_redis_prefix(url) as prefix,
        run_app("tests.support.upstreams:app") as upstream,
    ):
        routes = Path(tmp) / "routes.yaml"
        lines = [f"  - {{id: r{i}, path: /r{i}, stage: legacy}}" for i in range(1, args.routes + 1)]
        routes.write_text(
            f"version: 1\nupstreams:\n  legacy: {{url: {upstream.url!r}}}\n"
            f"  modern: {{url: {upstream.url!r}}}\nroutes:\n" + "\n".join(lines) + "\n"
        )
        asyncio.run(_fill(url, prefix, args.routes, args.points))
        env = {"STRANGLER_ROUTES": str(routes), "REDIS_URL": url, "REDIS_KEY_PREFIX": prefix,
               "STRANGLER_ADMIN_TOKEN": "", "STRANGLER_HISTORY_INTERVAL": "3600"}  # fmt: skip
        with run_app("proxy.app:app", env=env, ready_path="/_strangler/healthz") as proxy:
            times: dict[str, list[float]] = {name: [] for name in PATHS}
            sizes: dict[str, int] = {}
            with httpx.Client(base_url=proxy.url + "/_strangler", timeout=30) as http:
                for path in PATHS.values():
                    http.get(path)  # warm-up
                for _ in range(args.rounds):
                    for name, path in PATHS.items():
                        began = time.perf_counter()
                        reply = http.get(path)
                        times[name].append((time.perf_counter() - began) * 1000)
                        reply.raise_for_status()
                        sizes[name] = len(reply.content)
    print(f"{args.routes} routes, {args.points} snapshots, {args.rounds} rounds; cores: "
          f"{os.cpu_count()}")  # fmt: skip
    base = statistics.median(times["status"])
    for name, samples in times.items():
        median = statistics.median(samples)
        spread = f"min {min(samples):7.1f}  max {max(samples):7.1f}"
        print(f"{name:9s} {sizes[name]:>9,d} B  median {median:7.1f} ms  {spread}  "
              f"×status {median / base:5.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
