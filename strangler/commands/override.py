"""`strangler override list|clear`: the guardrail's runtime overrides on a running proxy."""

from __future__ import annotations

import argparse
from typing import Any

from strangler.admin_api import add_url_argument, call, error_message
from strangler.errors import CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "override",
        help="list or clear the guardrail's overrides (routes sent back to legacy)",
        description=(
            "The guardrail sends a failing canary route back to legacy with an override "
            "shared by every worker. `list` shows them with their reasons; `clear ROUTE` "
            "lifts one (the route is served as routes.yaml says again, with a fresh "
            "analysis window). Changing the route in routes.yaml lifts it too."
        ),
    )
    actions = parser.add_subparsers(dest="override_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="routes held at legacy by the guardrail")
    add_url_argument(listing)
    listing.set_defaults(handler=_list)
    clear = actions.add_parser("clear", help="lift the override of one route")
    clear.add_argument("route", help="route id")
    add_url_argument(clear)
    clear.set_defaults(handler=_clear)


def _list(args: argparse.Namespace) -> int:
    code, status = call("GET", args.url, "api/status")
    if code != 200:
        raise CommandError(f"api/status answered {code}: {error_message(status)}")
    held = [
        (route["id"], route["guardrail"]["override"])
        for route in status.get("routes", [])
        if (route.get("guardrail") or {}).get("override")
    ]
    if not held:
        print("no overrides: every route is served as routes.yaml says (or as autopilot moved it)")
    for route_id, override in held:
        print(f"{route_id}: legacy since {override.get('at')} (was {override.get('from')}): "
              f"{override.get('reason')}")  # fmt: skip
    return 0


def _clear(args: argparse.Namespace) -> int:
    code, reply = call("DELETE", args.url, f"api/routes/{args.route}/override")
    if code != 200:
        raise CommandError(error_message(reply))
    effective = reply.get("effective", {})
    print(f"cleared the override of route {args.route}: now served at "
          f"{effective.get('label')} ({effective.get('by')})")  # fmt: skip
    return 0
