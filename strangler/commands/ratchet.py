"""`strangler ratchet check|update|history`: the migration may only move forward.

`check` is what CI runs: read only, exit 1 naming every regression or stale entry.
`update` rewrites the baseline (`migration.lock`) and refuses to record a regression
that has no reason. `history` prints the migrated share at each commit that moved it.
Exit codes: 0 ok, 1 regressions (or a stale baseline), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from strangler.commands._ratchet_settings import add_root_argument, config_errors, ratchet_settings
from strangler.errors import CommandError
from strangler.ratchet.formats import FORMATS, HISTORY_FORMATS, STALE_PREFIX


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ratchet",
        help="fail when the migration moves backwards (check), record progress (update)",
        description=(
            "The architectural ratchet. Settings come from [tool.strangler.ratchet] in "
            "ROOT/pyproject.toml (legacy_app or legacy_openapi, routes, baseline, "
            "modern_package). Exit 0 ok, 1 regressions or a stale baseline, 2 usage or "
            "configuration error."
        ),
    )
    actions = parser.add_subparsers(dest="ratchet_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    add_root_argument(common)
    formats = argparse.ArgumentParser(add_help=False)
    formats.add_argument(
        "--format", choices=FORMATS, default="text",
        help="text (terminal), markdown (pull-request comment) or json (stable, sorted keys)",
    )  # fmt: skip
    check = actions.add_parser(
        "check", parents=[common, formats], help="compare the repository with the baseline",
        description="Read only: fail naming every regression or stale baseline entry.",
    )  # fmt: skip
    check.set_defaults(handler=_check)
    update = actions.add_parser(
        "update", parents=[common, formats], help="rewrite the baseline from the current state",
        description="Rewrite the baseline; refuse (exit 1) when a regression has no reason.",
    )  # fmt: skip
    update.set_defaults(handler=_update)
    history = actions.add_parser(
        "history", parents=[common],
        help="migrated share per commit that changed routes.yaml or the baseline",
        description="Walk git history, oldest first: percent migrated and routes per stage.",
    )  # fmt: skip
    history.add_argument("--format", choices=HISTORY_FORMATS, default="csv")
    history.set_defaults(handler=_history)


def _check(args: argparse.Namespace) -> int:
    from strangler.ratchet import check_repository, render

    settings = ratchet_settings(args.root)
    with config_errors():
        outcome = check_repository(settings)
    sys.stdout.write(render(outcome, args.format, baseline=settings.relative(settings.baseline)))
    return 0 if outcome.ok else 1


def _update(args: argparse.Namespace) -> int:
    from strangler.ratchet import headline, render, update_repository

    settings = ratchet_settings(args.root)
    baseline = settings.relative(settings.baseline)
    with config_errors():
        result = update_repository(settings)
    outcome = result.outcome
    if outcome.regressions:
        sys.stdout.write(render(outcome, args.format, baseline=baseline))
        raise CommandError(
            f"refusing to update {baseline}: {len(outcome.regressions)} regression(s) "
            "without a reason (see above)"
        )
    if args.format == "text":
        for entry in result.recorded:
            print(f"  recorded {entry.entry}: {entry.message.removeprefix(STALE_PREFIX)}")
        done = f"wrote {baseline}" if result.written else f"{baseline} is already up to date"
        print(f"{done}: {headline(outcome)}")
    else:
        sys.stdout.write(render(outcome, args.format, baseline=baseline))
    return 0


def _history(args: argparse.Namespace) -> int:
    from strangler.ratchet import migration_history, render_history

    settings = ratchet_settings(args.root)
    with config_errors():
        points = migration_history(settings)
    sys.stdout.write(render_history(points, args.format))
    return 0

