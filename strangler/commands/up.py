"""`strangler up`: the whole local stack in one command, stopped cleanly by Ctrl-C.

Order: check the ports, start the database (MONGODB_URI's or the embedded one), seed
the demo set into an empty database, start legacy and modern, wait for their health
checks, start the proxy, wait for it, print the URLs, then watch the children. Ctrl-C,
SIGTERM or any child exiting stops everything that was started, in reverse order.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pymongo

from strangler.errors import CommandError
from strangler.seed import PRESETS, SEED_PASSWORD, Progress, is_empty, seed_database
from strangler.stack import (
    DEFAULT_DATA_DIR,
    LOOPBACK,
    SERVICES,
    ServiceSpec,
    StackError,
    Supervisor,
    app_available,
    database,
    port_in_use,
    uvicorn_command,
)

WATCH_INTERVAL = 0.5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "up",
        help="run the database, legacy, modern and the proxy locally",
        description=(
            "Start the embedded database (unless MONGODB_URI is set), seed the demo data "
            f"when the database is empty (every demo user's password is {SEED_PASSWORD!r}, "
            "one user is 'demo'), then legacy, modern and the proxy on 127.0.0.1. "
            "Ctrl-C stops everything it started."
        ),
    )
    for spec in SERVICES.values():
        parser.add_argument(
            f"--{spec.name}-port", type=int, default=spec.default_port, metavar="PORT",
            help=f"{spec.name}'s port (default %(default)s)",
        )  # fmt: skip
    parser.add_argument(
        "--only", action="append", choices=list(SERVICES), metavar="APP",
        help="start only this app: legacy, modern or proxy (repeatable); default all",
    )  # fmt: skip
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR,
        help="embedded database directory when MONGODB_URI is unset (default %(default)s)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def _planned(args: argparse.Namespace) -> list[tuple[ServiceSpec, int]]:
    """The services to start (legacy and modern first, the proxy last) and their ports."""
    planned = []
    for name in ("legacy", "modern", "proxy"):
        spec = SERVICES[name]
        if args.only and name not in args.only:
            continue
        if not app_available(spec.module):
            print(f"  {name:<8}  skipped: {spec.module} is not available yet", flush=True)
            continue
        planned.append((spec, int(getattr(args, f"{name}_port"))))
    ports = [port for _, port in planned]
    if len(set(ports)) != len(ports):
        raise CommandError(f"the ports must differ: {', '.join(map(str, ports))}")
    for spec, port in planned:
        if port_in_use(port):
            raise CommandError(f"port {port} ({spec.name}) is already in use on {LOOPBACK}")
    return planned


@contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C; after the first one, further ones are ignored.

    So a second Ctrl-C cannot cut the shutdown short and leave a child running.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _seed_if_empty(uri: str) -> None:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(uri, tz_aware=True)
    try:
        db = client.get_default_database()
        if is_empty(db):
            print(f"  seeding the demo data set into {db.name} ...", flush=True)
            seed_database(db, PRESETS["demo"], progress=Progress())
    finally:
        client.close()


def _child_env(db_uri: str, planned: list[tuple[ServiceSpec, int]]) -> dict[str, str]:
    ports = {spec.name: port for spec, port in planned}
    env = {
        **os.environ,
        "MONGODB_URI": db_uri,
        "STRANGLER_ROUTES": os.environ.get("STRANGLER_ROUTES", "routes.yaml"),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("legacy", "modern"):
        port = ports.get(name, SERVICES[name].default_port)
        env[f"{name.upper()}_URL"] = f"http://{LOOPBACK}:{port}"
    return env


def _start(
    supervisor: Supervisor, specs: list[tuple[ServiceSpec, int]], env: dict[str, str]
) -> None:
    pids = {
        spec.name: supervisor.spawn(
            spec.name, uvicorn_command(spec.app, host=LOOPBACK, port=port), env
        )
        for spec, port in specs
    }
    for spec, port in specs:
        url = f"http://{LOOPBACK}:{port}"
        supervisor.wait_ready(spec.name, url + spec.health_path)
        print(f"  {spec.name:<8}  {url}  (pid {pids[spec.name]})", flush=True)


def run(args: argparse.Namespace) -> int:
    planned = _planned(args)
    supervisor = Supervisor()
    with _stop_signals_interrupt():
        try:
            with database(args.data_dir) as db:
                where = f"embedded, pid {db.pid}, data in {args.data_dir}"
                shown = _redact(db.uri)
                print(f"  database  {shown}  ({where if db.pid else 'MONGODB_URI'})", flush=True)
                _seed_if_empty(db.uri)
                try:
                    env = _child_env(db.uri, planned)
                    _start(supervisor, [p for p in planned if p[0].name != "proxy"], env)
                    _start(supervisor, [p for p in planned if p[0].name == "proxy"], env)
                    print(
                        f"  seeded users log in as demo / {SEED_PASSWORD} (any seeded "
                        "username works with that password)",
                        flush=True,
                    )
                    print("strangler up: ready. Press Ctrl-C to stop.", flush=True)
                    _watch(supervisor)
                finally:
                    supervisor.stop_all()
        except KeyboardInterrupt:
            print("strangler up: stopped.", file=sys.stderr, flush=True)
            return 0
        except StackError as exc:
            raise CommandError(f"{exc}; stopped everything") from None
    return 0


def _redact(uri: str) -> str:
    """Hide the credentials of a `mongodb://user:password@host` URI."""
    return re.sub(r"//[^@/]*@", "//***@", uri)


def _watch(supervisor: Supervisor) -> None:
    """Return never: wait for Ctrl-C, or raise StackError when a child exits."""
    while True:
        time.sleep(WATCH_INTERVAL)
        exited = supervisor.first_exited()
        if exited is not None:
            name, code = exited
            raise StackError(f"{name} exited with code {code}")
