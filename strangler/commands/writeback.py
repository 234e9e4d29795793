"""`strangler writeback`: write a running proxy's effective state into routes.yaml.

Autopilot steps and guardrail overrides change where routes are served at run time;
routes.yaml in git stays the source of truth. This command reads the proxy's
`api/status`, edits only the lines of the routes that moved (stage, canary percent,
a rollback reason for a move back), validates the result, writes it, and records it
in migration.lock with the ratchet, so the diff is ready to review and commit.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path
from typing import Any

from strangler.admin_api import add_url_argument, call, error_message
from strangler.commands._ratchet_settings import add_root_argument, config_errors, ratchet_settings
from strangler.errors import CommandError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "writeback",
        help="write the effective state (autopilot steps, guardrail overrides) into routes.yaml",
        description=(
            "Read a running proxy's effective state and write it into routes.yaml "
            "(targeted edits: comments and layout are kept), then update migration.lock "
            "with the ratchet so that `strangler ratchet check` accepts the result."
        ),
    )
    add_url_argument(parser)
    add_root_argument(parser)
    parser.add_argument("--routes", type=Path, help="routes file (default: the ratchet's)")
    parser.add_argument("--dry-run", action="store_true", help="print the new file, write nothing")
    parser.add_argument("--no-ratchet", action="store_true", help="leave migration.lock alone")
    parser.add_argument(
        "--force", action="store_true",
        help="write even when the proxy runs another revision of the file",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def _routes_file(args: argparse.Namespace) -> Path:
    if args.routes is not None:
        return Path(args.routes)
    if (args.root / "pyproject.toml").is_file():
        return ratchet_settings(args.root).routes
    return Path(args.root) / (os.environ.get("STRANGLER_ROUTES") or "routes.yaml")


def run(args: argparse.Namespace) -> int:
    from proxy.config import ConfigError
    from proxy.guardrail.writeback import WritebackError, moves_from_status, rewrite

    path = _routes_file(args)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror or exc}", exit_code=2) from None
    code, status = call("GET", args.url, "api/status")
    if code != 200:
        raise CommandError(f"api/status answered {code}: {error_message(status)}")
    running = (status.get("config") or {}).get("revision")
    mine = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    if running != mine and not args.force:
        raise CommandError(
            f"the proxy runs routes.yaml revision {running}, {path} is {mine}: "
            "write back from the proxy that serves this file (or --force)"
        )
    moves = moves_from_status(status)
    if not moves:
        print(f"nothing to write: every route is served as {path.name} says")
        return 0
    try:
        new_text = rewrite(text, moves, source=str(path))
    except (WritebackError, ConfigError) as exc:
        raise CommandError(f"cannot write the effective state into {path}: {exc}") from None
    for move in moves:
        why = f" (rollback: {move.reason})" if move.reason else ""
        print(f"  {move.route_id}: {move.to.label}{why}")
    if args.dry_run:
        print(new_text, end="")
        return 0
    temporary = path.with_name(path.name + ".writeback")
    temporary.write_text(new_text, encoding="utf-8")
    temporary.replace(path)
    print(f"wrote {path}")
    if not args.no_ratchet:
        _record(args.root)
    return 0


def _record(root: Path) -> None:
    from strangler.ratchet import headline, update_repository

    settings = ratchet_settings(root)
    with config_errors():
        result = update_repository(settings)
    baseline = settings.relative(settings.baseline)
    if result.outcome.regressions:
        problems = "; ".join(p.message for p in result.outcome.regressions)
        raise CommandError(f"the ratchet refuses to record {baseline}: {problems}")
    done = f"wrote {baseline}" if result.written else f"{baseline} is already up to date"
    print(f"{done}: {headline(result.outcome)}")
