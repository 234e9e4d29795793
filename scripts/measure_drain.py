"""What happens to new connections while a 2-worker proxy drains after SIGTERM.

Side by side: `uvicorn --workers 2` (uvicorn's own master) and `strangler serve
--workers 2` (ours). For each: a small upstream, the proxy in front, a few slow
requests in flight, SIGTERM, then new requests during the drain. Prints, per
variant: in-flight requests completed, new requests answered, refused at once
(< 1 s) and hung (no answer or error within 1 s), and the exit code. Loopback only,
bounded in count and time.

    .venv/bin/python scripts/measure_drain.py [--new 20] [--slow 3]
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from strangler.children import spawn, stop_group  # noqa: E402
from strangler.embedded_db import free_port  # noqa: E402

# The serving tests' routes.yaml: `/slow` and `/echo` of the same small upstream.
from tests.e2e.serving.proxies import ROUTES  # noqa: E402

HUNG_AFTER = 1.0


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} never answered")


def _new_request(url: str) -> str:
    started = time.monotonic()
    try:
        httpx.get(url + "/echo", timeout=5)
        return "answered"
    except httpx.TransportError:
        return "refused" if time.monotonic() - started < HUNG_AFTER else "hung"


def _finish(connection: http.client.HTTPConnection) -> bool:
    try:
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def measure(variant: str, upstream: str, routes: Path, new: int, slow: float) -> dict[str, int]:
    port = free_port()
    env = {**os.environ, "STRANGLER_ROUTES": str(routes), "LEGACY_URL": upstream,
           "MODERN_URL": upstream, "STRANGLER_ADMIN_TOKEN": ""}  # fmt: skip
    if variant == "uvicorn":
        command = [sys.executable, "-m", "uvicorn", "proxy.app:app", "--port", str(port),
                   "--workers", "2", "--log-level", "warning"]  # fmt: skip
    else:
        command = [sys.executable, "-m", "strangler.cli", "serve", "proxy", "--port", str(port),
                   "--workers", "2"]  # fmt: skip
    process = spawn(command, env=env, cwd=ROOT, output=open(os.devnull, "wb"))  # noqa: SIM115
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/_strangler/healthz")
        time.sleep(2)  # both workers up
        in_flight = []
        for _ in range(4):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", f"/slow?seconds={slow}")
            in_flight.append(connection)
        time.sleep(0.5)
        os.kill(process.pid, signal.SIGTERM)
        time.sleep(0.3)
        with ThreadPoolExecutor(8) as pool:
            finished = pool.map(_finish, in_flight)
            outcomes = list(pool.map(_new_request, [url] * new))
            completed = sum(finished)
        code = process.wait(60)
    finally:
        stop_group(process)
    counts = {kind: outcomes.count(kind) for kind in ("answered", "refused", "hung")}
    return {"in_flight_completed": completed, **counts, "exit_code": code}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new", type=int, default=20, help="new requests during the drain")
    parser.add_argument("--slow", type=float, default=3.0, help="seconds each in-flight takes")
    args = parser.parse_args()
    upstream_port = free_port()
    upstream = spawn(
        [sys.executable, "-m", "uvicorn", "tests.support.upstreams:app", "--port",
         str(upstream_port), "--log-level", "warning"],
        cwd=ROOT,
    )  # fmt: skip
    try:
        upstream_url = f"http://127.0.0.1:{upstream_port}"
        _wait(upstream_url + "/healthz")
        with tempfile.TemporaryDirectory() as directory:
            routes = Path(directory) / "routes.yaml"
            routes.write_text(ROUTES)
            print(f"{args.new} new requests during the drain, 4 of {args.slow}s in flight")
            for variant in ("uvicorn", "strangler"):
                result = measure(variant, upstream_url, routes, args.new, args.slow)
                print(f"{variant:>10}: " + ", ".join(f"{k} {v}" for k, v in result.items()))
    finally:
        stop_group(upstream)


if __name__ == "__main__":
    main()
