"""The proxy's own CPU per request, beside a bare aiohttp forwarder, side by side.

    .venv/bin/python scripts/bench_proxy_cpu.py [--rounds 5] [--seconds 4] [--concurrency 16]
                                                [--baseline DIR] [--out FILE.json]

Throughput on this 2-core machine moves with whatever else runs; the CPU time a
process spent per request moves much less. This starts the trivial upstream
(`tests.support.upstreams:app`, `GET /trivial`) and, each under uvicorn with one
worker and the options of `strangler serve proxy`:

- `ours`: the proxy (`proxy.app:app`) with a routes.yaml that sends `/trivial` to it;
- `bare`: the reference, a minimal ASGI forwarder on one `aiohttp.ClientSession`
  (`bare_app` below: no routing, no header rules, no counting);
- `base` (with `--baseline DIR`): `proxy.app:app` imported from another checkout,
  e.g. `git archive HEAD | tar -x -C /tmp/base`, to compare a change with what it
  replaces.

Each round runs `wrk` (one thread, loopback, bounded in time) against every variant
in turn, reading the server process's user+sys CPU from /proc/<pid>/stat before and
after, and prints µs of CPU per request and the ratio ours/bare (the bare forwarder
absorbs the machine's noise: both see the same upstream and load generator). Prints
medians and spread, and writes the raw numbers as JSON.

CPU time still moves with contention (±15% between rounds here when other work
runs). For a count immune to it, run a variant under `valgrind --tool=callgrind`
(uvicorn with the same options), `callgrind_control -z <pid>` after a warm-up,
`wrk -t1 -c1 -d20s`, stop the server, and divide the dump's `summary:` (instructions
executed, shutdown included) by the requests wrk counted. The proxy's background
work (counter flush, file watch) adds about 2M instructions a second under valgrind:
subtract it, or compare variants that served similar request counts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from benchkit import environment, print_environment, save, stamped  # scripts/ is on sys.path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO_ROOT))

PACKAGES = ("aiohttp", "uvicorn", "uvloop", "httptools", "yarl")
TICK = os.sysconf("SC_CLK_TCK")
PATH = "/trivial"


# -- the reference: a bare aiohttp forwarder (imported by uvicorn as bench_proxy_cpu:bare_app)


_bare: dict[str, Any] = {}


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Forward method, path, query, headers and body; stream nothing, filter nothing."""
    import aiohttp
    from yarl import URL

    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _bare["base"] = os.environ["BARE_UPSTREAM"]
                _bare["session"] = aiohttp.ClientSession(
                    cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await _bare["session"].close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    url = _bare["base"] + scope["raw_path"].decode("latin-1")
    if scope["query_string"]:
        url += "?" + scope["query_string"].decode("latin-1")
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    message = await receive()
    body = message.get("body") or None
    async with _bare["session"].request(
        scope["method"], URL(url, encoded=True), headers=headers, data=body, allow_redirects=False
    ) as resp:
        data = await resp.read()
        out = [(k, v) for k, v in resp.raw_headers if k.lower() not in (b"date", b"server")]
    await send({"type": "http.response.start", "status": resp.status, "headers": out})
    await send({"type": "http.response.body", "body": data})


# -- servers and measurement --------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads, exited ones included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime: fields 14 and 15


@contextmanager
def serve(
    app: str,
    env: dict[str, str],
    cwd: Path,
    uvicorn_args: list[str],
    *,
    workers: int = 1,
    ready_path: str = PATH,
) -> Iterator[tuple[str, int]]:
    """uvicorn on a free loopback port; yields (url, pid). With one worker the server
    is that process itself, so its /proc/<pid>/stat is the server's CPU."""
    from strangler.children import spawn, stop_group
    from strangler.embedded_db import free_port
    from tests.support.servers import _wait_ready

    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), *uvicorn_args]  # fmt: skip
    child_env = {**os.environ, **env, "PYTHONPATH": f"{cwd}{os.pathsep}{SCRIPTS}"}
    process = spawn(command, env=child_env, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url + ready_path, 30.0)
        yield url, process.pid
    finally:
        stop_group(process)


def run_wrk(url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "10s", url]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    count = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", out)
    if count is None:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    elapsed = float(count.group(2)) / (1000 if count.group(3) == "ms" else 1)
    return {"requests": int(count.group(1)), "seconds": elapsed, "errors": errors}


def measure(url: str, pid: int, concurrency: int, seconds: float) -> dict[str, Any]:
    before = cpu_seconds(pid)
    result = run_wrk(url + PATH, concurrency, seconds)
    result["cpu_s"] = round(cpu_seconds(pid) - before, 3)
    n = result["requests"]
    result["cpu_us_per_request"] = round(result["cpu_s"] / n * 1e6, 1) if n else None
    result["rps"] = round(n / result["seconds"], 1) if result["seconds"] else 0.0
    return result


def spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": min(values), "max": max(values)}


def serve_options(app: str = "proxy.app:app", checkout: Path = REPO_ROOT) -> list[str]:
    """The uvicorn options `strangler up` and `serve` in `checkout` run `app` with, so the
    bench measures those (the proxy runs under its own HTTP protocol; an app that is
    not one of ours, and a checkout from before per-app options, get the common ones)."""
    code = (
        "import json, strangler.stack as s; f = getattr(s, 'uvicorn_options', None); "
        f"print(json.dumps(f({app!r}) if f else list(s.UVICORN_OPTIONS)))"
    )
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=checkout, env=env, capture_output=True, check=True
    ).stdout
    return list(json.loads(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="wrk seconds per sample")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--baseline", type=Path, help="another checkout: adds variant `base`")
    parser.add_argument(
        "--uvicorn", default=None, help="uvicorn options instead of serve's (one string)"
    )
    parser.add_argument("--out", default=None, help="JSON file (default bench-results/…)")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (medians of alternating rounds)")
    if shutil.which("wrk") is None:
        parser.error("wrk is needed: apt-get install wrk")
    given = args.uvicorn.split() if args.uvicorn is not None else None
    uvicorn_args = given or serve_options()
    bare_args = given or serve_options("bench_proxy_cpu:bare_app")

    env_info = environment(PACKAGES, uvicorn_args=uvicorn_args, concurrency=args.concurrency)
    print_environment("bench_proxy_cpu", env_info)
    print(f"wrk -t1 -c{args.concurrency} -d{args.seconds:g}s; uvicorn {' '.join(uvicorn_args)}")
    results: dict[str, Any] = {"environment": env_info, "rounds": args.rounds,
                               "seconds": args.seconds, "samples": [], "summary": {}}  # fmt: skip
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        from tests.support.servers import run_app

        trivial = stack.enter_context(
            run_app("tests.support.upstreams:app", env={"UPSTREAM_NAME": "trivial"})
        )
        routes = Path(tmp) / "routes.yaml"
        routes.write_text(
            "version: 1\nupstreams:\n"
            f"  legacy: {{url: {trivial.url!r}}}\n  modern: {{url: {trivial.url!r}}}\n"
            "routes:\n  - {id: trivial, path: /trivial, stage: legacy}\n"
        )
        proxy_env = {"STRANGLER_ROUTES": str(routes), "REDIS_URL": "",
                     "STRANGLER_ADMIN_TOKEN": "", "LEGACY_URL": "", "MODERN_URL": ""}  # fmt: skip
        bare_env = {"BARE_UPSTREAM": trivial.url}
        servers = {
            "ours": stack.enter_context(serve("proxy.app:app", proxy_env, REPO_ROOT, uvicorn_args)),
            "bare": stack.enter_context(
                serve("bench_proxy_cpu:bare_app", bare_env, REPO_ROOT, bare_args)
            ),
        }
        if args.baseline:
            base = args.baseline.resolve()
            base_args = given or serve_options(checkout=base)
            print(f"base: uvicorn {' '.join(base_args)}")
            servers["base"] = stack.enter_context(
                serve("proxy.app:app", proxy_env, base, base_args)
            )
        for url, _ in servers.values():  # warm up: connections, first-call imports
            run_wrk(url + PATH, args.concurrency, 1)
        for round_no in range(args.rounds):
            line = []
            for variant, (url, pid) in servers.items():
                sample = measure(url, pid, args.concurrency, args.seconds)
                sample.update(variant=variant, round=round_no)
                results["samples"].append(sample)
                line.append(f"{variant} {sample['cpu_us_per_request']} µs ({sample['rps']}/s)")
            print(f"  round {round_no + 1}: " + "  ".join(line))
    report(results, list(servers))
    save(results, Path(args.out) if args.out else stamped("proxy-cpu"))
    return 0


def report(results: dict[str, Any], variants: list[str]) -> None:
    samples = results["samples"]
    by = {v: [s for s in samples if s["variant"] == v] for v in variants}
    print("\nproxy CPU per request, medians (min–max) over rounds")
    for variant in variants:
        cpu = spread([s["cpu_us_per_request"] for s in by[variant]])
        rps = spread([s["rps"] for s in by[variant]])
        errors = sum(s["errors"] for s in by[variant])
        results["summary"][variant] = {"cpu_us_per_request": cpu, "rps": rps, "errors": errors}
        print(f"  {variant:5} {cpu['median']:>7} µs ({cpu['min']}–{cpu['max']})"
              f"  {rps['median']:>8} req/s  errors {errors}")  # fmt: skip
    for variant in variants:
        if variant == "bare":
            continue
        ratios = [
            a["cpu_us_per_request"] / b["cpu_us_per_request"]
            for a, b in zip(by[variant], by["bare"], strict=True)
        ]
        r = spread([round(x, 3) for x in ratios])
        results["summary"][f"{variant}/bare"] = r
        print(f"  ratio {variant}/bare per round: median {r['median']} ({r['min']}–{r['max']})")
    if "base" in variants:
        ratios = [
            a["cpu_us_per_request"] / b["cpu_us_per_request"]
            for a, b in zip(by["ours"], by["base"], strict=True)
        ]
        r = spread([round(x, 3) for x in ratios])
        results["summary"]["ours/base"] = r
        print(f"  ratio ours/base per round: median {r['median']} ({r['min']}–{r['max']})")


if __name__ == "__main__":
    sys.exit(main())
