"""`strangler shadow reset ROUTE`: start a route's shadow evidence afresh.

For evidence an operator no longer trusts (a stray request both apps refused
differently, a fix deployed without a version header), or to announce a modern
deploy by hand (`--version`). The running proxy opens a new evidence window; the old
one stays readable in the route's history (`GET /_strangler/api/routes/ROUTE/shadow`).
"""

from __future__ import annotations

import argparse
from typing import Any

from strangler.admin_api import add_url_argument, call, error_message
from strangler.errors import CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "shadow",
        help="act on a running proxy's shadow evidence (reset)",
        description="Act on the shadow evidence of a running proxy.",
    )
    actions = parser.add_subparsers(dest="shadow_command", metavar="ACTION", required=True)
    reset = actions.add_parser(
        "reset",
        help="start a route's evidence afresh (a new window; the old one is kept)",
        description=(
            "Open a new evidence window for ROUTE in the running proxy (sending "
            "$STRANGLER_ADMIN_TOKEN when set). ready_to_promote is then judged only on "
            "comparisons made from now on; the old window stays readable."
        ),
    )
    reset.add_argument("route", metavar="ROUTE", help="the route id")
    reset.add_argument("--reason", required=True, help="why (kept with the closed window)")
    reset.add_argument("--version", help="modern's new version, when announcing a deploy")
    add_url_argument(reset)
    reset.set_defaults(handler=run_reset)


def run_reset(args: argparse.Namespace) -> int:
    body: dict[str, str] = {"reason": args.reason}
    if args.version:
        body["version"] = args.version
    path = f"api/routes/{args.route}/shadow/reset"
    code, document = call("POST", args.url, path, json=body)
    if code != 200:
        raise CommandError(f"{args.url}: {path} answered {code}: {error_message(document)}")
    window = document.get("window", {})
    print(
        f"route {args.route}: evidence window {window.get('id')} opened at "
        f"{window.get('started')} ({window.get('reason')})"
    )
    return 0
