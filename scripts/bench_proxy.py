"""The proxy's own cost: direct vs through the proxy, side by side in one run.

    .venv/bin/python scripts/bench_proxy.py [--rounds 3] [--seconds 3] [--skip-modern]
                                            [--out bench-results/proxy.json]

Two upstreams: a trivial ASGI app that does no I/O (`tests.support.upstreams:app`,
`GET /trivial`), which isolates the proxy's cost, and modern's room list
(`GET /api/rooms` with a token, on the embedded database with a few rooms), which
shows the cost on a real endpoint. Each is measured direct, through a 1-worker
proxy and through a 2-worker proxy (run with `strangler.stack.UVICORN_OPTIONS`, as
`strangler up` runs it), at concurrency 1 and 64. Every round runs the
three variants back to back (A B C A B C …), and each measurement is a separate
load-generator process (this script with `--load`: asyncio + aiohttp + uvloop,
bounded by time and request count, loopback only). Prints what it ran on, medians
with their spread, the proxy/direct ratios, and writes the raw numbers as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench_proxy_cpu import serve, serve_options  # scripts/ is on sys.path as a script
from benchkit import environment, print_environment, save, stamped

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

PACKAGES = ("aiohttp", "uvicorn", "uvloop", "httptools", "starlette", "fastapi")
VARIANTS = ("direct", "proxy-1w", "proxy-2w")
CONCURRENCY = (1, 64)
WARMUP = 0.5


# -- the load generator (runs in its own process) ----------------------------------------


async def _load(
    url: str, concurrency: int, seconds: float, limit: int, headers: dict[str, str]
) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    sent = 0
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        start = time.perf_counter()
        measure_from = start + WARMUP
        deadline = measure_from + seconds

        async def worker() -> None:
            nonlocal errors, sent
            while sent < limit:
                began = time.perf_counter()
                if began >= deadline:
                    return
                sent += 1
                try:
                    async with session.get(url) as reply:
                        await reply.read()
                        ok = reply.status == 200
                except aiohttp.ClientError:
                    ok = False
                ended = time.perf_counter()
                if began >= measure_from:
                    latencies.append(ended - began)
                    errors += not ok

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = min(time.perf_counter(), deadline) - measure_from
    latencies.sort()
    count = len(latencies)
    return {
        "requests": count,
        "errors": errors,
        "seconds": round(elapsed, 3),
        "rps": round(count / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(latencies[count // 2] * 1000, 3) if count else None,
        "p99_ms": round(latencies[min(count - 1, int(count * 0.99))] * 1000, 3) if count else None,
    }


def load_main(args: argparse.Namespace) -> int:
    import uvloop

    headers = dict(h.split(":", 1) for h in args.header)
    result = uvloop.run(
        _load(args.load, args.concurrency, args.seconds, args.max_requests, headers)
    )
    print(json.dumps(result))
    return 0


def measure(
    url: str, concurrency: int, seconds: float, headers: dict[str, str], loadgen: str
) -> dict[str, Any]:
    if loadgen == "wrk":
        return measure_wrk(url, concurrency, seconds, headers)
    command = [
        sys.executable, __file__, "--load", url, "--concurrency", str(concurrency),
        "--seconds", str(seconds), "--max-requests", "500000",
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["--header", f"{name}:{value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def measure_wrk(
    url: str, concurrency: int, seconds: float, headers: dict[str, str]
) -> dict[str, Any]:
    """The same measurement with wrk (C, one thread): it leaves more CPU to what is measured.

    A warm-up run of WARMUP seconds opens the connections first and is discarded.
    """
    base = ["wrk", "-t1", f"-c{concurrency}", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        base += ["-H", f"{name}: {value}"]
    warm = max(1, round(WARMUP))
    subprocess.run([*base, f"-d{warm}s", url], capture_output=True, timeout=warm + 30, check=True)
    done = subprocess.run(
        [*base, f"-d{max(1, round(seconds))}s", url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )  # fmt: skip
    out = done.stdout
    latency = {
        match.group(1): float(match.group(2)) * _WRK_UNITS[match.group(3)]
        for match in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    count = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if count is None or "50" not in latency:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    requests = int(count.group(1))
    elapsed = float(count.group(2)) / (1000 if count.group(3) == "ms" else 1)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {
        "requests": requests,
        "errors": errors,
        "seconds": round(elapsed, 3),
        "rps": round(requests / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(latency["50"], 3),
        "p99_ms": round(latency.get("99", latency["50"]), 3),
    }


# -- the services -------------------------------------------------------------------------


def start_services(stack: ExitStack, with_modern: bool, tmp: Path) -> dict[str, Any]:
    from strangler.embedded_db import EmbeddedMongo
    from tests.support.servers import run_app

    trivial = stack.enter_context(
        run_app("tests.support.upstreams:app", env={"UPSTREAM_NAME": "trivial"})
    )
    info: dict[str, Any] = {"trivial": trivial.url}
    modern_url = trivial.url  # a placeholder upstream when modern is skipped
    if with_modern:
        mongo = stack.enter_context(EmbeddedMongo())
        modern = stack.enter_context(
            run_app(
                "modern.app:app",
                env={
                    "MONGODB_URI": f"{mongo.uri}/bench_proxy",
                    "REDIS_URL": "",
                    "MODERN_SLOW_QUERY_MS": "1000000",  # keep the bench's output readable
                },
            )
        )
        modern_url = modern.url
        info["modern"] = modern.url
        info["token"], info["rooms"] = seed_modern(modern.url)
    routes = tmp / "routes.yaml"
    routes.write_text(
        "version: 1\nupstreams:\n"
        f"  legacy: {{url: {trivial.url!r}}}\n  modern: {{url: {modern_url!r}}}\n"
        "routes:\n"
        "  - {id: trivial, path: /trivial, stage: legacy}\n"
        "  - {id: list-rooms, path: /api/rooms, stage: modern}\n"
    )
    env = {"STRANGLER_ROUTES": str(routes), "REDIS_URL": "", "STRANGLER_ADMIN_TOKEN": "",
           "LEGACY_URL": "", "MODERN_URL": ""}  # fmt: skip
    for workers in (1, 2):  # with the uvicorn options `strangler up` runs the proxy with
        url, _ = stack.enter_context(
            serve(
                "proxy.app:app",
                env,
                REPO_ROOT,
                serve_options(),
                workers=workers,
                ready_path="/_strangler/healthz",
            )
        )
        info[f"proxy-{workers}w"] = url
    return info


def seed_modern(url: str, rooms: int = 20) -> tuple[str, int]:
    import httpx

    with httpx.Client(base_url=url, timeout=30) as http:
        reply = http.post(
            "/api/auth/register", json={"username": "bench_user", "password": "bench-pass-123"}
        )
        reply.raise_for_status()
        token = reply.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        for n in range(rooms):
            room = http.post(
                "/api/rooms", json={"name": f"room {n:02d}", "topic": "bench"}, headers=auth
            )
            room.raise_for_status()
            if n % 4 == 0:
                http.post(
                    f"/api/rooms/{room.json()['id']}/messages", json={"text": "hi"}, headers=auth
                )
        assert http.get("/api/rooms", headers=auth).status_code == 200
    return token, rooms


# -- the run ------------------------------------------------------------------------------


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("rps", "p50_ms", "p99_ms"):
        values = [s[key] for s in samples if s[key] is not None]
        out[key] = {
            "median": round(statistics.median(values), 3) if values else None,
            "min": min(values, default=None),
            "max": max(values, default=None),
        }
    out["errors"] = sum(s["errors"] for s in samples)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per sample")
    parser.add_argument("--skip-modern", action="store_true", help="only the trivial upstream")
    parser.add_argument(
        "--out", default=None, help="JSON file (default bench-results/proxy-<time>.json)"
    )
    parser.add_argument(
        "--loadgen",
        choices=("wrk", "aiohttp"),
        default="wrk" if shutil.which("wrk") else "aiohttp",
        help="load generator process (default wrk when installed: apt-get install wrk)",
    )
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--max-requests", type=int, default=500000, help=argparse.SUPPRESS)
    parser.add_argument("--header", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        return load_main(args)
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (medians of alternating rounds)")

    import tempfile

    with_modern = not args.skip_modern and (REPO_ROOT / "modern" / "app.py").exists()
    env_info = environment(PACKAGES)
    print_environment("bench_proxy", env_info)
    print(f"load generator: {args.loadgen} (a separate process, loopback only)")
    results: dict[str, Any] = {
        "environment": env_info, "rounds": args.rounds, "seconds": args.seconds,
        "loadgen": args.loadgen,
        "samples": [], "summary": {},
    }  # fmt: skip
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        info = start_services(stack, with_modern, Path(tmp))
        run_rounds(info, with_modern, args, results["samples"])
    report(results)
    save(results, Path(args.out) if args.out else stamped("proxy"))
    return 0


def run_rounds(
    info: dict[str, Any], with_modern: bool, args: argparse.Namespace, samples: list[dict[str, Any]]
) -> None:
    """For each target and concurrency: rounds of direct, proxy-1w, proxy-2w back to back."""
    targets: list[tuple[str, str, str, dict[str, str]]] = [
        ("trivial", info["trivial"], "/trivial", {})
    ]
    if with_modern:
        auth = {"Authorization": f"Bearer {info['token']}"}
        targets.append(("modern-rooms", info["modern"], "/api/rooms", auth))
        print(f"modern's room list: {info['rooms']} rooms on the embedded database")
    for target, direct, path, headers in targets:
        bases = {"direct": direct, "proxy-1w": info["proxy-1w"], "proxy-2w": info["proxy-2w"]}
        for concurrency in CONCURRENCY:
            for round_no in range(args.rounds):
                for variant in VARIANTS:
                    url = bases[variant] + path
                    sample = measure(url, concurrency, args.seconds, headers, args.loadgen)
                    sample.update(
                        target=target, concurrency=concurrency, variant=variant, round=round_no
                    )
                    samples.append(sample)
                    errors = f"  errors {sample['errors']}" if sample["errors"] else ""
                    print(
                        f"  {target:13} c={concurrency:<3} round {round_no + 1} {variant:9}"
                        f" {sample['rps']:>8} req/s  p50 {sample['p50_ms']} ms"
                        f"  p99 {sample['p99_ms']} ms{errors}"
                    )


def report(results: dict[str, Any]) -> None:
    print("\nmedians (min–max) over rounds; ratio = proxy / direct of the median req/s")
    samples = results["samples"]
    for target, concurrency in sorted({(s["target"], s["concurrency"]) for s in samples}):
        summary = {
            variant: summarise(
                [s for s in samples if (s["target"], s["concurrency"], s["variant"])
                 == (target, concurrency, variant)]
            )
            for variant in VARIANTS
        }  # fmt: skip
        direct = summary["direct"]
        for variant in VARIANTS:
            s = summary[variant]
            base = direct["rps"]["median"]
            s["throughput_ratio"] = round(s["rps"]["median"] / base, 3) if base else None
            s["added_p50_ms"] = round(s["p50_ms"]["median"] - direct["p50_ms"]["median"], 3)
            print(
                f"  {target:13} c={concurrency:<3} {variant:9}"
                f" {s['rps']['median']:>8} req/s ({s['rps']['min']}–{s['rps']['max']})"
                f"  p50 {s['p50_ms']['median']} ms  p99 {s['p99_ms']['median']} ms"
                f"  ratio {s['throughput_ratio']}  added p50 {s['added_p50_ms']} ms"
            )
        results["summary"][f"{target}@c{concurrency}"] = summary


if __name__ == "__main__":
    sys.exit(main())
