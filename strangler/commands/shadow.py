"""`strangler shadow reset ROUTE`: start a route's shadow evidence afresh.

For evidence an operator no longer trusts (a stray request both apps refused
differently, a fix deployed without a version header), or to announce a modern
deploy by hand (`--version`). The running proxy opens a new evidence window; the old
one stays readable in the route's history (`GET /_strangler/api/routes/ROUTE/shadow`).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import httpx

from strangler.commands.status import DEFAULT_URL, TIMEOUT
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
    reset.add_argument("--url", default=DEFAULT_URL, help="proxy base URL (default %(default)s)")
    reset.set_defaults(handler=run_reset)


def run_reset(args: argparse.Namespace) -> int:
    token = os.environ.get("STRANGLER_ADMIN_TOKEN") or None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    endpoint = f"{args.url.rstrip('/')}/_strangler/api/routes/{args.route}/shadow/reset"
    body: dict[str, str] = {"reason": args.reason}
    if args.version:
        body["version"] = args.version
    try:
        reply = httpx.post(endpoint, json=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach the proxy at {args.url}: {exc}") from None
    if reply.status_code != 200:
        raise CommandError(f"{endpoint} answered {reply.status_code}: {_message(reply)}")
    window = reply.json().get("window", {})
    print(
        f"route {args.route}: evidence window {window.get('id')} opened at "
        f"{window.get('started')} ({window.get('reason')})"
    )
    return 0


def _message(reply: httpx.Response) -> str:
    try:
        return str(reply.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return reply.text[:200]
