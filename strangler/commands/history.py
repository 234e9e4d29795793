"""`strangler history ROUTE`: a route's audit log — guardrail trips, clears, autopilot steps."""

from __future__ import annotations

import argparse
import json
from typing import Any

from strangler.admin_api import add_url_argument, call, error_message
from strangler.errors import CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "history",
        help="a route's audit log: guardrail trips and clears, autopilot steps",
        description=(
            "Print the audit log a running proxy keeps per route (oldest first): each "
            "autopilot step, guardrail trip, dry-run report, clear and lift, with its "
            "reason and the figures it was decided on."
        ),
    )
    parser.add_argument("route", help="route id")
    parser.add_argument("--limit", type=int, default=100, help="newest N entries (default 100)")
    parser.add_argument("--json", action="store_true", help="print the raw entries")
    add_url_argument(parser)
    parser.set_defaults(handler=run)


def _figures(entry: dict[str, Any]) -> str:
    figures = entry.get("figures")
    if not isinstance(figures, dict):
        return ""
    parts = []
    for target in ("modern", "legacy"):
        side = figures.get(target)
        if isinstance(side, dict):
            rate = side.get("error_rate")
            parts.append(
                f"{target} {side.get('requests')} req, "
                f"{'-' if rate is None else f'{100 * rate:.1f}'}% err, "
                f"p95 {side.get('p95_ms')} ms"
            )
    if "compared" in figures:
        bound = figures.get("match_rate_lower_bound")
        parts.append(f"shadow {figures.get('compared')} compared, lower bound {bound}")
    return "; ".join(parts)


def render(entries: list[dict[str, Any]]) -> str:
    lines = []
    for entry in entries:
        move = ""
        if entry.get("from") or entry.get("to"):
            move = f"{entry.get('from', '?')} -> {entry.get('to', '?')}"
        elif entry.get("at_position"):
            move = f"at {entry['at_position']}"
        line = (
            f"{entry.get('at')}  {entry.get('event', ''):<8} {move:<28} {entry.get('reason', '')}"
        )
        figures = _figures(entry)
        lines.append(line.rstrip() + (f"\n{'':>33}[{figures}]" if figures else ""))
    return "\n".join(lines) if lines else "(no entries)"


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 500:
        raise CommandError("--limit must be between 1 and 500")
    code, reply = call(
        "GET", args.url, f"api/routes/{args.route}/history", params={"limit": str(args.limit)}
    )
    if code != 200:
        raise CommandError(error_message(reply))
    entries = reply.get("entries", [])
    print(json.dumps(entries, indent=2) if args.json else render(entries))
    return 0
