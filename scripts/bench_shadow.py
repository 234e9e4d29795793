#!/usr/bin/env python3
"""What shadowing costs users: median latency with and without it, and the proxy's RSS.

One proxy (with the shadow sink wired) serves two routes to the same trivial legacy
upstream: `/api/shadowed` (stage shadow) and `/api/plain` (stage legacy). Modern is
a trivial app made 2 s slow, so every mirrored request is slow on purpose: the
users' latency must not notice, and memory must stay flat while the route's lane
fills and drops. The two routes are measured side by side, alternating (A B, B A, …)
for `--rounds` rounds; then the shadowed route is loaded for `--rss-seconds` while
the proxy's RSS is sampled. Load comes from a separate process (this script's `load`
subcommand, an asyncio aiohttp generator), loopback only, bounded in time and count.

    python scripts/bench_shadow.py [--rounds 3] [--seconds 5] [--concurrency 8]

Prints what it ran on, medians and spread, and writes raw numbers to bench-results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchkit import environment, save, stamped  # scripts/ is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
ROOMS = json.dumps(
    [{"id": f"r{i}", "name": f"room {i}", "member_ids": ["a", "b"]} for i in range(20)]
)


# -- the pieces the benchmark runs under uvicorn (imported by name via --app-dir) --------


async def trivial_app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    """A no-I/O JSON upstream; `BENCH_SLOW_SECONDS` makes every answer that slow."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": message["type"] + ".complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    delay = float(os.environ.get("BENCH_SLOW_SECONDS", "0"))
    if delay and scope["path"] != "/healthz":
        await asyncio.sleep(delay)
    body = ROOMS.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# -- the load generator (a separate process) ---------------------------------------------


async def _load(url: str, concurrency: int, seconds: float, limit: int) -> dict[str, object]:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline and len(latencies) + errors < limit:
                started = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status != 200:
                            errors += 1
                            continue
                except aiohttp.ClientError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else None,
        "rps": len(latencies) / seconds,
    }


def load_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_shadow.py load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--limit", type=int, default=200_000)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_load(args.url, args.concurrency, args.seconds, args.limit))))


# -- orchestration -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: str, env: dict[str, str], *, ready: str = "/healthz") -> Iterator[tuple[str, int]]:
    """Run `uvicorn app` (from scripts/) on a free loopback port; yield (url, pid)."""
    import httpx

    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app, "--app-dir", str(REPO / "scripts"),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise SystemExit(f"error: {app} exited with {process.returncode}")
            try:
                httpx.get(url + ready, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"error: {app} did not start within 30 s") from None
                time.sleep(0.1)
        yield url, process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run_load(url: str, concurrency: int, seconds: float) -> dict[str, object]:
    command = [sys.executable, __file__, "load", "--url", url]
    command += ["--concurrency", str(concurrency), "--seconds", str(seconds)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return json.loads(done.stdout)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (less noisy than wall time here)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def routes_yaml(legacy: str, modern: str) -> str:
    return json.dumps(
        {
            "version": 1,
            "upstreams": {"legacy": {"url": legacy}, "modern": {"url": modern}},
            "routes": [
                {"id": "shadowed", "path": "/api/shadowed", "stage": "shadow"},
                {"id": "plain", "path": "/api/plain", "stage": "legacy"},
            ],
        }
    )  # JSON is YAML


def redis_env() -> tuple[dict[str, str], str | None]:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return {}, None
    prefix = f"bench-shadow:{uuid.uuid4().hex[:8]}:"
    return {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}, url


def cleanup_redis(url: str | None, prefix: str | None) -> None:
    if url is None or prefix is None:
        return
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="per measurement (≤ 60)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rss-seconds", type=float, default=60)
    parser.add_argument("--slow", type=float, default=2.0, help="modern's delay in seconds")
    args = parser.parse_args(argv)
    if args.rounds < 3 or not 0 < args.seconds <= 60 or not 0 < args.rss_seconds <= 600:
        parser.error("--rounds ≥ 3, 0 < --seconds ≤ 60, 0 < --rss-seconds ≤ 600")
    info = environment(("aiohttp", "uvicorn", "redis"))
    print("ran on:", json.dumps(info))
    extra_env, redis_url = redis_env()
    print("shared state:", "Redis " + redis_url if redis_url else "in-process (fakeredis)")
    results: dict[str, object] = {"environment": info, "args": vars(args), "runs": []}
    runs: list[dict[str, object]] = results["runs"]  # type: ignore[assignment]
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve("bench_shadow:trivial_app", {}) as (legacy, _),
        serve("bench_shadow:trivial_app", {"BENCH_SLOW_SECONDS": str(args.slow)}) as (modern, _),
    ):
        routes = Path(tmp) / "routes.yaml"
        routes.write_text(routes_yaml(legacy, modern))
        env = {"STRANGLER_ROUTES": str(routes), "STRANGLER_ADMIN_TOKEN": "", **extra_env}
        try:
            with serve("proxy.app:app", env, ready="/_strangler/healthz") as (proxy, pid):
                for name in ("shadowed", "plain"):  # warm-up: connections, caches; discarded
                    run_load(f"{proxy}/api/{name}", args.concurrency, 1)
                for round_no in range(args.rounds):
                    order = ("shadowed", "plain") if round_no % 2 == 0 else ("plain", "shadowed")
                    for name in order:
                        cpu_before = cpu_seconds(pid)
                        outcome = run_load(f"{proxy}/api/{name}", args.concurrency, args.seconds)
                        used = cpu_seconds(pid) - cpu_before
                        outcome["proxy_cpu_us_per_request"] = (
                            used / max(int(outcome["requests"]), 1) * 1e6  # type: ignore[call-overload]
                        )
                        runs.append({"round": round_no, "route": name, **outcome})
                        print(f"round {round_no} {name:>8}: {json.dumps(outcome)}")
                medians = {
                    name: [float(r["p50_ms"]) for r in runs if r["route"] == name and r["p50_ms"]]
                    for name in ("shadowed", "plain")
                }
                ratios = [
                    s / p for s, p in zip(medians["shadowed"], medians["plain"], strict=False)
                ]
                print(f"median latency shadowed ms: {spread(medians['shadowed'])}")
                print(f"median latency plain    ms: {spread(medians['plain'])}")
                print(f"shadowed / plain median latency, per round: {spread(ratios)}")
                overall = statistics.median(medians["shadowed"]) / statistics.median(
                    medians["plain"]
                )
                print(f"shadowed / plain, ratio of the medians: {overall:.2f}")
                results["ratio_of_medians"] = overall
                cpu = {
                    name: [float(r["proxy_cpu_us_per_request"]) for r in runs if r["route"] == name]
                    for name in ("shadowed", "plain")
                }
                print(f"proxy CPU µs per request, shadowed: {spread(cpu['shadowed'])}")
                print(f"proxy CPU µs per request, plain:    {spread(cpu['plain'])}")
                results["ratio_shadowed_over_plain"] = ratios
                rss = [rss_mb(pid)]
                rss_load = subprocess.Popen(
                    [sys.executable, __file__, "load", "--url", f"{proxy}/api/shadowed",
                     "--concurrency", str(args.concurrency), "--seconds", str(args.rss_seconds)],
                    stdout=subprocess.PIPE, text=True,
                )  # fmt: skip
                while rss_load.poll() is None:
                    time.sleep(1)
                    rss.append(rss_mb(pid))
                load_out = json.loads(rss_load.stdout.read() if rss_load.stdout else "{}")
                import httpx

                status = httpx.get(proxy + "/_strangler/api/status", timeout=30).json()
                shadow = next(r for r in status["routes"] if r["id"] == "shadowed").get(
                    "shadow", {}
                )
                keep = ("compared", "matched", "mismatched", "timeout", "dropped", "modern_error")
                summary = {k: shadow.get(k) for k in keep}
                results["rss_mb"] = rss
                results["rss_load"] = load_out
                results["shadow_status"] = summary
                print(
                    f"RSS over {args.rss_seconds:.0f}s of load on the shadowed route: start "
                    f"{rss[0]:.1f} MB, max {max(rss):.1f} MB, end {rss[-1]:.1f} MB "
                    f"({load_out.get('requests')} requests, p50 {load_out.get('p50_ms'):.2f} ms)"
                )
                print(f"shadow outcomes: {json.dumps(summary)}")
        finally:
            cleanup_redis(redis_url, extra_env.get("REDIS_KEY_PREFIX"))
    save(results, stamped("shadow"))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "load":
        load_main(sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1:]))
