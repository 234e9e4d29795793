"""Run the embedded MongoDB-compatible server (SecantusDB) as a child process.

SecantusDB is GPL-2.0-only and beta, so it is never imported: we start its
`secantusd-py` launcher as a separate process, talk to it over the real MongoDB
wire protocol with pymongo, and stop it ourselves. The child runs in its own
process group so that stopping it also stops anything it spawned, and a stop
is registered with `atexit` so an exception or Ctrl-C in the parent does not
leave an orphan server behind; on Linux, a parent-death signal covers a parent
that is killed outright.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import pymongo
from pymongo.errors import PyMongoError

from strangler.children import STOP_TIMEOUT, spawn, stop_group

__all__ = [
    "DEFAULT_START_TIMEOUT",
    "MEMORY",
    "EmbeddedDatabaseError",
    "EmbeddedMongo",
    "find_launcher",
    "free_port",
]

MEMORY = ":memory:"
DEFAULT_START_TIMEOUT = 30.0
LAUNCHER = "secantusd-py"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be found, started or reached."""


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a free TCP port on `host`.

    There is a small window in which another process could take the port; the
    callers that matter (tests) retry by starting on a fresh port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def find_launcher() -> str:
    """Locate `secantusd-py`: next to our interpreter first (a venv), then PATH."""
    beside = Path(sys.executable).with_name(LAUNCHER)
    if beside.exists():
        return str(beside)
    found = shutil.which(LAUNCHER)
    if found:
        return found
    raise EmbeddedDatabaseError(
        f"{LAUNCHER} not found; install the embedded extra (pip install -e '.[embedded]') "
        "or set MONGODB_URI to a running MongoDB"
    )


class EmbeddedMongo:
    """A SecantusDB server process bound to a loopback port.

    Parameters:
        data_dir: WiredTiger directory kept across restarts, or `MEMORY` for an
            ephemeral store that the server deletes on shutdown (tests).
        port: TCP port; a free one is chosen when omitted.
        host: bind address; loopback only by default.
        log_file: where the server's output goes; discarded when omitted.
        start_timeout: seconds to wait for the first successful ping.

    Use as a context manager, or call `start()` and `stop()`.
    """

    def __init__(
        self,
        *,
        data_dir: str | Path = MEMORY,
        port: int | None = None,
        host: str = "127.0.0.1",
        log_file: str | Path | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
    ) -> None:
        self.data_dir = str(data_dir)
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.log_file = Path(log_file) if log_file is not None else None
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Start the server and block until it answers `ping`; returns its URI."""
        if self.running():
            return self.uri
        if self.data_dir != MEMORY:
            Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        command = [
            find_launcher(),
            "--host", self.host,
            "--port", str(self.port),
            "--storage-path", self.data_dir,
            "--log-level", "WARNING",
        ]  # fmt: skip
        output = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            # Own process group: Ctrl-C in a terminal reaches the parent only, which
            # then stops the server in order (no half-written store).
            self._process = spawn(command, output=output)
        finally:
            if not isinstance(output, int):  # an opened log file, not DEVNULL
                output.close()
        atexit.register(self.stop)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self.uri

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
            self.uri, serverSelectionTimeoutMS=250, connectTimeoutMS=250
        )
        try:
            while True:
                if self._process is not None and self._process.poll() is not None:
                    raise EmbeddedDatabaseError(
                        f"{LAUNCHER} exited with code {self._process.returncode} "
                        f"before answering on {self.uri}"
                    )
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    if time.monotonic() > deadline:
                        raise EmbeddedDatabaseError(
                            f"{LAUNCHER} did not answer on {self.uri} "
                            f"within {self.start_timeout:.0f}s"
                        ) from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the server: SIGTERM to its process group, SIGKILL if it lingers."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is not None:
            stop_group(process, timeout)

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
