"""`strangler status`: the proxy's migration status as a table (or the raw JSON).

Each route's row ends with its verdict at its stage and the reason (what it waits
for), beside the lifetime shadow counts and those of the current evidence window."""

from __future__ import annotations

import argparse
import json
from typing import Any

from strangler.admin_api import add_url_argument, call, error_message
from strangler.errors import CommandError
from strangler.guardrail_view import effective_suffix, guardrail_lines


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show the running proxy's migration status",
        description=(
            "Fetch /_strangler/api/status from a running proxy (sending "
            "$STRANGLER_ADMIN_TOKEN when set) and print a summary table."
        ),
    )
    add_url_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the raw JSON document")
    parser.set_defaults(handler=run)


def fetch_status(url: str) -> dict[str, Any]:
    """The running proxy's `api/status` document (with $STRANGLER_ADMIN_TOKEN when set)."""
    code, document = call("GET", url, "api/status")
    if code != 200:
        raise CommandError(f"{url}: api/status answered {code}: {error_message(document)}")
    return document


def render(status: dict[str, Any]) -> str:
    config = status.get("config", {})
    migration = status.get("migration", {})
    lines = [
        f"routes.yaml revision {config.get('revision')} ({config.get('source')}), "
        f"loaded {config.get('loaded_at')}",
        f"migrated: {migration.get('percent_routes')} % of {migration.get('routes_total')} routes, "
        f"{migration.get('percent_traffic')} % of recent traffic",
        "by stage: "
        + ", ".join(f"{stage} {n}" for stage, n in migration.get("by_stage", {}).items()),
    ]
    error = config.get("last_error")
    if error:
        first = (str(error.get("message", "")).splitlines() or [""])[0]
        lines.append(f"last refused file {error.get('revision')} at {error.get('at')}: {first}")
    header = (
        "route", "stage", "legacy", "modern", "errors", "fallbacks", "p99 ms", "shadow",
        "window", "verdict",
    )  # fmt: skip
    rows = [header]
    for route in status.get("routes", []):
        shadow = route.get("shadow") or {}
        rate = shadow.get("match_rate")
        stage = route.get("stage", "")
        canary = route.get("canary") or {}
        if canary:
            stage += f" {canary.get('percent')}%"
            missing = (canary.get("sticky_missing") or {}).get("total", 0)
            if missing:
                stage += f" ({missing} without key)"
        stage += effective_suffix(route)
        requests = route.get("requests", {})
        p99 = route.get("latency_ms", {}).get("p99")
        rows.append(
            (
                str(route.get("id")),
                stage,
                str(requests.get("legacy", 0)),
                str(requests.get("modern", 0)),
                str(route.get("errors", 0)),
                str(route.get("fallbacks", 0)),
                "-" if p99 is None else f"{p99:g}",
                ""
                if not shadow
                else ("-" if rate is None else f"{100 * rate:.1f}% of {shadow.get('compared', 0)}"),
                _window(shadow),
                _verdict(route.get("readiness") or {}),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines.append("")
    lines.extend(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
    lines.extend(guardrail_lines(status))
    windows = [_window_line(route) for route in status.get("routes", [])]
    if any(windows):
        lines.append("")
        lines.append("evidence windows (readiness is judged on the recent part):")
        lines.extend(line for line in windows if line)
    unmapped = status.get("unmapped") or []
    if unmapped:
        lines.append("")
        lines.append(
            "unmapped (served by legacy): "
            + ", ".join(f"{u['path']} ({u['requests']})" for u in unmapped[:10])
        )
    return "\n".join(lines)


def _window(shadow: dict[str, Any]) -> str:
    """The current evidence window: `#3 100.0% of 512` (its recent part decides)."""
    window = shadow.get("window") if shadow else None
    if not window:
        return ""
    rate = window.get("match_rate")
    shown = "-" if rate is None else f"{100 * rate:.1f}%"
    return f"#{window.get('id')} {shown} of {window.get('compared', 0)}"


def _window_line(route: dict[str, Any]) -> str:
    """One line per shadowed route: window id, start and reason, and its recent evidence,
    e.g. `list-rooms: #2 since …, compare rules changed; recent 20 (max 1000, 24 h): 100.0%`."""
    shadow = route.get("shadow") or {}
    window, recent = shadow.get("window"), shadow.get("recent")
    if not window or not recent:
        return ""
    rate = recent.get("match_rate")
    hours = recent.get("hours")
    limit = f"max {recent.get('comparisons')}" + (f", {hours:g} h" if hours else "")
    return (
        f"  {route.get('id')}: #{window.get('id')} since {window.get('started')}, "
        f"{window.get('reason')}; recent {recent.get('compared', 0)} ({limit}): "
        + ("-" if rate is None else f"{100 * rate:.1f}%")
    )


def _verdict(readiness: dict[str, Any]) -> str:
    if not readiness:
        return ""
    return f"{readiness.get('verdict')}: {readiness.get('reason')}"


def run(args: argparse.Namespace) -> int:
    status = fetch_status(args.url)
    print(json.dumps(status, indent=2) if args.json else render(status))
    return 0
