"""`strangler serve {proxy,legacy,modern}`: run one app in the foreground, for real.

The uvicorn configuration is built in one place (`uvicorn_config`); `strangler.serving`
runs it: a master holding the socket, workers that drain on SIGTERM, SIGHUP for a
restart without a refused connection.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strangler.commands.healthcheck import HEALTH_FILE_ENV
from strangler.errors import CommandError
from strangler.stack import LOOPBACK, SERVICES, ServiceSpec, app_available

if TYPE_CHECKING:
    import uvicorn

DRAIN_TIMEOUT_ENV = "STRANGLER_DRAIN_TIMEOUT"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run one of the apps (proxy, legacy or modern) under uvicorn",
        description=(
            "Run the app by import string under uvicorn with uvloop and httptools. "
            "Default ports: proxy 8000, legacy 8001, modern 8002. Configuration comes "
            "from the environment (MONGODB_URI, REDIS_URL, LEGACY_URL, MODERN_URL, "
            "STRANGLER_ROUTES). SIGTERM drains (new connections refused, requests in "
            "flight finish, exit 0); SIGHUP starts new workers, then drains the old ones."
        ),
    )
    parser.add_argument("app", choices=["proxy", "legacy", "modern"], help="which app")
    parser.add_argument("--host", default=LOOPBACK, help="bind address (default %(default)s)")
    parser.add_argument("--port", type=int, help="port (default: the app's own)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--drain-timeout", type=float, metavar="SECONDS",
        default=float(os.environ.get(DRAIN_TIMEOUT_ENV) or 30),
        help=f"how long requests in flight may take after SIGTERM (${DRAIN_TIMEOUT_ENV}, "
        "default %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--reuse-port", action="store_true",
        help="bind with SO_REUSEPORT, so a second `strangler serve` can share the port",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def uvicorn_config(spec: ServiceSpec, args: argparse.Namespace) -> uvicorn.Config:
    """The one uvicorn configuration every worker of `strangler serve` runs with."""
    import uvicorn  # deferred: only this subcommand needs the server

    return uvicorn.Config(
        spec.app,
        host=args.host,
        port=args.port if args.port is not None else spec.default_port,
        loop="uvloop",
        http=spec.http,  # the proxy runs under its own protocol (request limits)
        access_log=False,  # a log line per request costs the proxy CPU on every request
        timeout_graceful_shutdown=args.drain_timeout,
    )


def run(args: argparse.Namespace) -> int:
    spec = SERVICES[args.app]
    if not app_available(spec.module):
        raise CommandError(f"{spec.module} is not available in this installation")
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    if args.drain_timeout <= 0:
        raise CommandError("--drain-timeout must be positive")
    from strangler.serving import Served, serve

    health_file = os.environ.get(HEALTH_FILE_ENV)
    served = Served(
        config=uvicorn_config(spec, args),
        workers=args.workers,
        health_path=spec.health_path,
        health_file=Path(health_file) if health_file else None,
        reuse_port=args.reuse_port,
    )
    try:
        return serve(served)
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{served.config.port}: {exc}") from None
