"""Process supervision for `strangler up`: the database, the three apps, clean stops.

Each app runs as `python -m uvicorn <module>:app` in its own session (process group),
so a Ctrl-C in the terminal reaches only `strangler up`, which then stops its
children in reverse order: SIGTERM to each group, SIGKILL to whatever lingers. The
apps are named by import string and located with `importlib` without importing them
(this package never imports legacy or modern).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from strangler.children import STOP_TIMEOUT, spawn, stop_group
from strangler.embedded_db import EmbeddedDatabaseError, EmbeddedMongo

DEFAULT_DATA_DIR = Path(".strangler/data")
DEFAULT_DATABASE = "social"
READY_TIMEOUT = 60.0
LOOPBACK = "127.0.0.1"


class StackError(RuntimeError):
    """A service could not be started or stopped running; the message is one line."""


@dataclass(frozen=True)
class ServiceSpec:
    """One of our apps: its import string, default port, health-check path and the
    uvicorn HTTP protocol it runs under (the proxy's own bounds request heads)."""

    name: str
    app: str
    default_port: int
    health_path: str
    http: str = "httptools"

    @property
    def module(self) -> str:
        return self.app.partition(":")[0]


EDGE_PROTOCOL = "proxy.edge:EdgeProtocol"
"""uvicorn's httptools protocol with the proxy's request limits (`proxy/edge/`)."""

SERVICES = {
    "legacy": ServiceSpec("legacy", "legacy.app:app", 8001, "/healthz"),
    "modern": ServiceSpec("modern", "modern.app:app", 8002, "/healthz"),
    "proxy": ServiceSpec("proxy", "proxy.app:app", 8000, "/_strangler/healthz", EDGE_PROTOCOL),
}


def app_available(module: str) -> bool:
    """Whether `package.module` exists, found without executing any of its code."""
    package, _, name = module.rpartition(".")
    try:
        spec = importlib.util.find_spec(package) if package else None
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    return (
        importlib.machinery.PathFinder.find_spec(name, spec.submodule_search_locations) is not None
    )


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """Whether something listens on the port. SO_REUSEADDR, as uvicorn binds: the
    connections a stack just stopped leave TIME_WAIT sockets on its ports for a
    minute, and those must not keep `strangler up` from starting again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


UVICORN_OPTIONS: tuple[str, ...] = (
    "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log",
)  # fmt: skip
"""uvloop and httptools (h11 halves the proxy's throughput); no access log (a formatted line per
request is CPU spent on every request; the proxy's own counters and its 502/504 log
lines stay)."""


def uvicorn_options(app: str) -> list[str]:
    """`UVICORN_OPTIONS`, with the app's own HTTP protocol when it has one (the proxy)."""
    options = list(UVICORN_OPTIONS)
    http = next((spec.http for spec in SERVICES.values() if spec.app == app), None)
    if http is not None:
        options[options.index("--http") + 1] = http
    return options


def uvicorn_command(app: str, *, host: str, port: int, workers: int = 1) -> list[str]:
    """The child command line, with `uvicorn_options(app)`."""
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", host, "--port", str(port), "--workers", str(workers), *uvicorn_options(app),
    ]  # fmt: skip


def with_database(uri: str) -> str:
    """The URI with the default database path when it names none."""
    scheme, _, rest = uri.partition("://")
    host, _, path = rest.partition("/")
    database = path.partition("?")[0]
    if database:
        return uri
    query = "?" + path.partition("?")[2] if "?" in path else ""
    return f"{scheme}://{host}/{DEFAULT_DATABASE}{query}"


@dataclass(frozen=True)
class DatabaseInfo:
    """Where the database is; `pid` is the embedded server's, None for MONGODB_URI's."""

    uri: str
    pid: int | None = None


@contextmanager
def database(data_dir: Path) -> Iterator[DatabaseInfo]:
    """MONGODB_URI's database if set; otherwise run the embedded server over `data_dir`.

    The embedded server's log goes to `secantus.log` beside the data directory, and
    the server is stopped when the block ends, however it ends.
    """
    external = os.environ.get("MONGODB_URI")
    if external:
        yield DatabaseInfo(with_database(external))
        return
    server = EmbeddedMongo(data_dir=data_dir, log_file=data_dir.parent / "secantus.log")
    try:
        server.start()
    except EmbeddedDatabaseError as exc:
        raise StackError(
            f"{exc} (data in {data_dir}; if another `strangler up` uses it, "
            "set MONGODB_URI to its database)"
        ) from None
    try:
        yield DatabaseInfo(f"{server.uri}/{DEFAULT_DATABASE}", server.pid)
    finally:
        server.stop()


class Supervisor:
    """Starts child processes in their own groups and stops every one of them."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def spawn(self, name: str, command: list[str], env: Mapping[str, str]) -> int:
        process = spawn(command, env=env)
        self.children.append((name, process))
        return process.pid

    def wait_ready(self, name: str, url: str, timeout: float = READY_TIMEOUT) -> None:
        """Block until `url` answers 200; a child that exits first is a StackError."""
        process = dict(self.children)[name]
        deadline = time.monotonic() + timeout
        while True:
            code = process.poll()
            if code is not None:
                raise StackError(f"{name} exited with code {code} during start-up")
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise StackError(f"{name} did not answer {url} within {timeout:.0f}s")
            time.sleep(0.1)

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.children:
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def stop_all(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the children, last started first; signals are ignored meanwhile."""
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _STOP_SIGNALS}
        try:
            while self.children:
                _, process = self.children.pop()
                stop_group(process, timeout)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
