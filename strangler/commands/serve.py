"""`strangler serve {proxy,legacy,modern}`: run one app under uvicorn in the foreground."""

from __future__ import annotations

import argparse
from typing import Any

from strangler.errors import CommandError
from strangler.stack import LOOPBACK, SERVICES, app_available


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run one of the apps (proxy, legacy or modern) under uvicorn",
        description=(
            "Run the app by import string under uvicorn with uvloop and httptools. "
            "Default ports: proxy 8000, legacy 8001, modern 8002. Configuration comes "
            "from the environment (MONGODB_URI, REDIS_URL, LEGACY_URL, MODERN_URL, "
            "STRANGLER_ROUTES)."
        ),
    )
    parser.add_argument("app", choices=["proxy", "legacy", "modern"], help="which app")
    parser.add_argument("--host", default=LOOPBACK, help="bind address (default %(default)s)")
    parser.add_argument("--port", type=int, help="port (default: the app's own)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    spec = SERVICES[args.app]
    if not app_available(spec.module):
        raise CommandError(f"{spec.module} is not available in this installation")
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    import uvicorn  # deferred: only this subcommand needs the server

    uvicorn.run(
        spec.app,
        host=args.host,
        port=args.port if args.port is not None else spec.default_port,
        workers=args.workers,
        loop="uvloop",
        http=spec.http,  # the proxy runs under its own protocol (request limits)
        access_log=False,  # a log line per request costs the proxy CPU on every request
    )
    return 0
