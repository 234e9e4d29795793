"""How long a route change and a proxy restart take, as users see them (no failed request).

    .venv/bin/python scripts/measure_deploy_times.py [--rounds 5] [--workers 2]

The case study's "deployment time" row, for this tool: a route moved in routes.yaml
(written atomically: a temporary file renamed over it) until every answer comes from
the new upstream, and `strangler restart` (new workers on the same socket, the old
ones drained) until it returns, while a client keeps sending requests on fresh
connections and counts every failure. Two tiny upstreams that say who they are, one
`strangler serve proxy` with its own Redis key prefix; loopback only, bounded.
Prints each round and the medians, and writes JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from strangler.children import spawn, stop_group
from strangler.embedded_db import free_port

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = """
import asyncio, sys
NAME = sys.argv[2].encode()
async def answer(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            if not head:
                return
            body = b'{"side":"' + NAME + b'"}'
            head = b"HTTP/1.1 200 OK\\r\\nx-side: " + NAME + b"\\r\\ncontent-length: "
            writer.write(head + str(len(body)).encode() + b"\\r\\n\\r\\n" + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""
ROUTES = """version: 1
upstreams:
  legacy: {{url: "http://127.0.0.1:{legacy}"}}
  modern: {{url: "http://127.0.0.1:{modern}"}}
routes:
  - {{id: thing, path: /thing, stage: {stage}}}
"""


def side(port: int) -> str | None:
    """Who answered GET /thing on a fresh connection (None: no answer, or an error)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/thing")
        reply = conn.getresponse()
        reply.read()
        return reply.getheader("x-side") if reply.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


def write_atomically(path: Path, text: str) -> None:
    spare = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    spare.write_text(text, encoding="utf-8")
    os.replace(spare, path)


class Traffic:
    """A client thread on fresh connections, counting answers and failures."""

    def __init__(self, port: int) -> None:
        self.port, self.sent, self.failed = port, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sent += 1
            if side(self.port) is None:
                self.failed += 1
            time.sleep(0.01)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)


def move(routes: Path, ports: dict[str, int], proxy: int, to: str) -> float:
    """Seconds from the rename until 20 answers in a row come from the new upstream."""
    started = time.perf_counter()
    write_atomically(routes, ROUTES.format(stage=to, **ports))
    wanted = "modern" if to == "modern" else "legacy"
    streak, deadline = 0, started + 30
    while streak < 20 and time.perf_counter() < deadline:
        streak = streak + 1 if side(proxy) == wanted else 0
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results/deploy_times.json")
    args = parser.parse_args()
    ports = {"legacy": free_port(), "modern": free_port()}
    proxy_port = free_port()
    prefix = f"deploy-times-{uuid.uuid4().hex[:8]}:"
    children = [spawn([sys.executable, "-c", UPSTREAM, str(p), n]) for n, p in ports.items()]
    results: dict[str, list[float]] = {"route_change_s": [], "restart_s": []}
    failures = sent = 0
    with tempfile.TemporaryDirectory() as scratch:
        routes = Path(scratch) / "routes.yaml"
        routes.write_text(ROUTES.format(stage="legacy", **ports), encoding="utf-8")
        env = {**os.environ, "STRANGLER_ROUTES": str(routes), "REDIS_URL": args.redis_url,
               "REDIS_KEY_PREFIX": prefix, "STRANGLER_LOCK": str(Path(scratch) / "none.lock"),
               "STRANGLER_HEALTH_FILE": str(Path(scratch) / "health")}  # fmt: skip
        strangler = str(Path(sys.executable).with_name("strangler"))
        proxy = spawn([strangler, "serve", "proxy", "--port", str(proxy_port),
                       "--workers", str(args.workers)], env=env, cwd=scratch)  # fmt: skip
        children.append(proxy)
        try:
            deadline = time.monotonic() + 60
            while side(proxy_port) != "legacy":
                if time.monotonic() > deadline:
                    raise SystemExit("the proxy did not start")
                time.sleep(0.1)
            with Traffic(proxy_port) as traffic:
                for round_number in range(1, args.rounds + 1):
                    forward = move(routes, ports, proxy_port, "modern")
                    # Back to legacy needs a rollback reason: a backward move is refused bare.
                    write_atomically(
                        routes,
                        ROUTES.format(stage="legacy", **ports).replace(
                            "stage: legacy}", 'stage: legacy, rollback: {reason: "measure again"}}'
                        ),
                    )
                    while side(proxy_port) != "legacy":
                        time.sleep(0.05)
                    started = time.perf_counter()
                    restart = subprocess.run(
                        [strangler, "restart", "--timeout", "60"],
                        env=env, cwd=scratch, capture_output=True, text=True,
                    )  # fmt: skip
                    took = time.perf_counter() - started
                    if restart.returncode != 0:
                        print(f"restart failed: {restart.stdout}{restart.stderr}", file=sys.stderr)
                    results["route_change_s"].append(forward)
                    results["restart_s"].append(took)
                    print(f"round {round_number}: route change {forward:.2f} s, "
                          f"restart {took:.2f} s", flush=True)  # fmt: skip
            failures, sent = traffic.failed, traffic.sent
        finally:
            for child in reversed(children):
                stop_group(child)
    summary = {name: statistics.median(values) for name, values in results.items() if values}
    print(
        f"median route change {summary.get('route_change_s', 0):.2f} s, median restart "
        f"{summary.get('restart_s', 0):.2f} s; {failures} failed of {sent} requests sent meanwhile"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rounds": results, "median": summary,
                                    "requests": sent, "failed": failures}, indent=2))  # fmt: skip
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
