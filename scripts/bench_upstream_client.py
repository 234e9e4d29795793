"""The upstream client's own CPU per request: this tree's connection code against a git revision's.

    .venv/bin/python scripts/bench_upstream_client.py [--against main] [--rounds 11]
                                                      [--requests 3000]

`bench_proxy.py` measures the whole proxy, and on a shared 2-core machine its spread
is wider than a change to one module can move. This isolates the client: both
versions of `proxy/upstream_client/_connection.py` (the working tree's and the one
at `--against`) drive the same pool code against one in-process loopback upstream
that answers every request head at once, alternating round by round (A B A B …).
Each round is `--requests` sequential keep-alive GETs; the figure is the process's
CPU time per request (client and upstream together, so a difference is the
client's), which other processes' load does not inflate as wall time would.
Prints what it ran on, medians with their spread and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import uvloop

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchkit import environment, print_environment  # noqa: E402  (scripts/ on sys.path)

import proxy.upstream_client._client as client_module  # noqa: E402
import proxy.upstream_client._connection as current  # noqa: E402

MODULE = "proxy/upstream_client/_connection.py"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class _Upstream(asyncio.Protocol):
    """Answers each request head in the bytes it gets (the requests carry no body)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.transport.write(ANSWER * data.count(b"\r\n\r\n"))


def _load_revision(revision: str, directory: Path) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{revision}:{MODULE}"],
        cwd=REPO_ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    path = directory / "_connection_at_revision.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("proxy.upstream_client._connection_rev", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _round(connection: type, port: int, requests: int) -> float:
    """CPU µs per request of `requests` sequential GETs through a fresh pool."""
    client_module.Connection = connection  # type: ignore[misc]  # the variant under test
    client = client_module.UpstreamClient(f"http://127.0.0.1:{port}", limit=8, keepalive=4.0)
    started = time.process_time()
    for _ in range(requests):
        response = await client.request("GET", "/x", [("Accept", "*/*")], None, 5.0)
        while await response.read():
            pass
        response.release()
    spent = time.process_time() - started
    client.close()
    return spent / requests * 1e6


async def _measure(variants: dict[str, type], rounds: int, requests: int) -> dict[str, list[float]]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Upstream, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    results: dict[str, list[float]] = {name: [] for name in variants}
    try:
        await _round(next(iter(variants.values())), port, requests)  # warm-up
        for _ in range(rounds):
            for name, connection in variants.items():
                results[name].append(await _round(connection, port, requests))
    finally:
        server.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--against", default="main", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--requests", type=int, default=3000, help="GETs per round")
    args = parser.parse_args()
    print_environment("bench_upstream_client", environment(("httptools", "uvloop")))
    with tempfile.TemporaryDirectory() as directory:
        before = _load_revision(args.against, Path(directory))
        variants = {args.against: before.Connection, "working tree": current.Connection}
        results = uvloop.run(_measure(variants, args.rounds, args.requests))
    for name, values in results.items():
        print(
            f"  {name:<14} {statistics.median(values):6.2f} µs CPU/request"
            f" ({min(values):.2f}–{max(values):.2f}) over {args.rounds} rounds"
        )
    ratio = statistics.median(results["working tree"]) / statistics.median(results[args.against])
    print(f"  ratio working tree / {args.against}: {ratio:.3f}")


if __name__ == "__main__":
    main()
