"""Serving an app for real: one master holds the socket, workers drain on the way out.

`serve()` replaces uvicorn's own multi-process supervisor, for two reasons:

* A stop must refuse new connections at once. uvicorn's master keeps the listening
  socket open until its workers have exited, so during a drain the kernel accepts
  connections that nobody will ever answer (they hang, then are reset). Here SIGTERM
  makes the master close its copy of the socket first and every worker close its
  own at its next tick; once no process holds it, the kernel refuses new
  connections, while requests in flight finish within the drain timeout.
* A restart must drop nothing. SIGHUP starts a new set of workers on the *same*
  socket (the master never closes it), waits until each has finished its start-up,
  and only then drains the old ones: the kernel's accept queue is never without a
  reader, so no connection is refused or reset. The new workers are new processes,
  so they load the code and the configuration as they are on disk now: SIGHUP is
  also how an upgrade is applied on one machine. `strangler restart` sends it and
  waits for the outcome, which the master records in the health file.

Workers are spawned processes running `DrainingServer` (uvicorn's `Server`, with a
stop sequence of its own: stop accepting, tell the app, let just-accepted
connections deliver their request, then uvicorn's graceful shutdown). An app that
defines `async def drain()` hears about the stop before its connections do: the
proxy turns readyz false and closes its WebSockets with 1001 (going away).
A worker that dies unexpectedly is replaced. `--workers 1` runs the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.importer import import_from_string

__all__ = [
    "ACCEPT_GRACE",
    "DEFAULT_DRAIN_TIMEOUT",
    "DrainingServer",
    "Served",
    "health_url",
    "serve",
]

# uvicorn configures this logger; our lines appear beside its own.
log = logging.getLogger("uvicorn.error")

DEFAULT_DRAIN_TIMEOUT = 30.0
"""Seconds a stopping worker gives requests in flight; then uvicorn cancels them."""
ACCEPT_GRACE = 0.5
"""After a worker stops accepting, connections it accepted just before get this long
to deliver their first request, which is then answered (with `Connection: close`)
rather than the connection being closed unanswered."""
READY_TIMEOUT = 120.0
"""How long a restart waits for a new worker's start-up before giving up on it."""
_TICK = 0.1
_KILL_MARGIN = 5.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, kw_only=True, slots=True)
class Served:
    """What `serve` runs.

    Parameters:
        config: the uvicorn configuration every worker uses (its `app` an import string).
        workers: worker processes (at least 1).
        health_path: the app's health endpoint, recorded in `health_file` for
            `strangler healthcheck`.
        health_file: where to record the health URL (None: nowhere).
        reuse_port: bind with SO_REUSEPORT, so a second master can share the port.
    """

    config: uvicorn.Config
    workers: int
    health_path: str
    health_file: Path | None = None
    reuse_port: bool = False


def health_url(host: str, port: int, path: str) -> str:
    """The URL a probe on this machine uses: a wildcard bind is reached on loopback."""
    reach = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in reach:
        reach = f"[{reach}]"
    return f"http://{reach}:{port}{path}"


class DrainingServer(uvicorn.Server):
    """uvicorn's server with the stop sequence described in the module docstring.

    Parameters:
        config: uvicorn's configuration (`timeout_graceful_shutdown` is the drain timeout).
        ready: set once start-up has completed and the server accepts connections.
    """

    def __init__(self, config: uvicorn.Config, ready: Event | None = None) -> None:
        super().__init__(config)
        self.ready = ready
        self._sockets: list[socket.socket] = []

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Unlike uvicorn's, the signal is not raised again once serving ends: a
        # drained worker exits 0, and the master decides the process's exit code.
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._sockets = list(sockets or [])
        await super().startup(sockets)
        if self.started and not self.should_exit and self.ready is not None:
            self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Stop accepting first: uvicorn would close the listeners too, but only after
        # we have told the app, and the app's drain may take a moment.
        for server in self.servers:
            server.close()
        for sock in self._sockets:
            sock.close()
        await _drain_app(self.config)
        await asyncio.sleep(ACCEPT_GRACE)
        await super().shutdown(sockets)


async def _drain_app(config: uvicorn.Config) -> None:
    """Call the app's `drain()` if it has one; an error there never blocks the stop."""
    if not isinstance(config.app, str):
        return
    try:
        drain = getattr(import_from_string(config.app), "drain", None)
        if drain is not None:
            await asyncio.wait_for(drain(), timeout=max(1.0, ACCEPT_GRACE))
    except Exception:
        log.exception("the app's drain() failed; stopping anyway")


def _worker_main(config: uvicorn.Config, sock: socket.socket, ready: Event, master: int) -> None:
    """A spawned worker: serve on the master's socket until told to stop."""
    # A restart is the master's business: a hangup reaching the whole process group
    # (a closed terminal) must not kill the workers. An app may still claim SIGHUP.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _drain_when_orphaned(master)
    config.configure_logging()
    DrainingServer(config, ready).run(sockets=[sock])


def _drain_when_orphaned(master: int) -> None:
    """Have Linux send this worker SIGTERM when its master dies (even by SIGKILL), so
    no orphan keeps serving on the shared socket; a master already gone means now."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != master:
        os.kill(os.getpid(), signal.SIGTERM)


@dataclass(eq=False)
class _Worker:
    """One spawned worker; `ready` is set by it once it serves."""

    process: SpawnProcess
    ready: Event
    stopping_since: float | None = None


@dataclass
class _Master:
    """The master's state: the socket, the workers serving (`current`), those draining,
    and the signals received but not yet acted on (handlers only queue them)."""

    served: Served
    sock: socket.socket
    context: Any = field(default_factory=lambda: multiprocessing.get_context("spawn"))
    current: list[_Worker] = field(default_factory=list)
    draining: list[_Worker] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    restarts: int = 0
    last_restart: str | None = None  # "ok" or "abandoned", for `strangler restart`

    def spawn(self) -> _Worker:
        ready = self.context.Event()
        process = self.context.Process(
            target=_worker_main,
            args=(self.served.config, self.sock, ready, os.getpid()),
            daemon=False,
        )
        process.start()
        return _Worker(process, ready)

    def on_signal(self, sig: int, frame: FrameType | None) -> None:
        self.pending.append(sig)

    def run(self) -> int:
        self.current = [self.spawn() for _ in range(self.served.workers)]
        if not self._wait_ready(self.current):
            if self._stop_asked():
                return self._stop(code=0)
            log.error("a worker did not start; stopping")
            return self._stop(code=1)
        self._write_health_file()
        log.info("serving %s with %d worker(s), pid %d (SIGHUP restarts the workers)",
                 self.served.config.app, len(self.current), os.getpid())  # fmt: skip
        while True:
            while self.pending:
                sig = self.pending.pop(0)
                if sig == signal.SIGHUP:
                    self._restart()
                else:
                    return self._stop(code=0)
            self._reap()
            time.sleep(_TICK)

    def _wait_ready(self, workers: list[_Worker]) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        for worker in workers:
            while not worker.ready.wait(_TICK):
                late = time.monotonic() > deadline
                if late or self._stop_asked() or not worker.process.is_alive():
                    return False
        return True

    def _stop_asked(self) -> bool:
        return any(sig != signal.SIGHUP for sig in self.pending)

    def _restart(self) -> None:
        """New workers first; the old ones drain only once every new one is ready."""
        fresh = [self.spawn() for _ in range(self.served.workers)]
        self.restarts += 1
        if not self._wait_ready(fresh):
            log.error("restart abandoned: a new worker did not start; the old ones keep serving")
            for worker in fresh:
                self._terminate(worker)
            self.draining.extend(fresh)
            self.last_restart = "abandoned"
            self._write_health_file()
            return
        old, self.current = self.current, fresh
        for worker in old:
            self._terminate(worker)
        self.draining.extend(old)
        self.last_restart = "ok"
        self._write_health_file()
        log.info("restarted: %d new worker(s) serving, %d draining", len(fresh), len(old))

    def _reap(self) -> None:
        now = time.monotonic()
        limit = self.served.config.timeout_graceful_shutdown or DEFAULT_DRAIN_TIMEOUT
        for worker in list(self.draining):
            if not worker.process.is_alive():
                worker.process.join()
                self.draining.remove(worker)
            elif worker.stopping_since and now - worker.stopping_since > limit + _KILL_MARGIN:
                worker.process.kill()
        for index, worker in enumerate(self.current):
            if not worker.process.is_alive():
                log.warning("worker %s exited (%s); starting another",
                            worker.process.pid, worker.process.exitcode)  # fmt: skip
                worker.process.join()
                self.current[index] = self.spawn()

    def _terminate(self, worker: _Worker) -> None:
        worker.stopping_since = time.monotonic()
        if worker.process.is_alive() and worker.process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.process.pid, signal.SIGTERM)

    def _stop(self, *, code: int) -> int:
        # The master's copy of the socket goes first: once the workers have closed
        # theirs too, the kernel refuses new connections instead of queueing them.
        self.sock.close()
        for worker in self.current:
            self._terminate(worker)
        self.draining.extend(self.current)
        self.current = []
        limit = self.served.config.timeout_graceful_shutdown or DEFAULT_DRAIN_TIMEOUT
        deadline = time.monotonic() + limit + _KILL_MARGIN
        for worker in self.draining:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self.draining = []
        self._remove_health_file()
        return code

    def _write_health_file(self) -> None:
        if self.served.health_file is None:
            return
        config = self.served.config
        record = {"app": config.app, "pid": os.getpid(),
                  "url": health_url(config.host, config.port, self.served.health_path),
                  "workers": len(self.current), "restarts": self.restarts,
                  "last_restart": self.last_restart}  # fmt: skip
        temporary = self.served.health_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(record))
        temporary.replace(self.served.health_file)

    def _remove_health_file(self) -> None:
        if self.served.health_file is not None:
            with contextlib.suppress(OSError):
                self.served.health_file.unlink()


def serve(served: Served) -> int:
    """Run the master until SIGTERM or SIGINT; returns the exit code (0 after a drain)."""
    sock = _bind(served.config, served.reuse_port)
    master = _Master(served, sock)
    handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {sig: signal.signal(sig, master.on_signal) for sig in handled}
    try:
        return master.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with contextlib.suppress(OSError):
            sock.close()


def _bind(config: uvicorn.Config, reuse_port: bool) -> socket.socket:
    """The listening socket, bound as uvicorn binds it (SO_REUSEADDR), inheritable."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError:
        sock.close()
        raise
    sock.listen(config.backlog)
    sock.set_inheritable(True)
    return sock
