"""`strangler check [FILE]`: validate routes.yaml exactly as the proxy would load it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from proxy.applied import lock_stages
from proxy.config import ConfigError, LoadedRoutes, dropped_routes, load_routes, unfinished_file
from proxy.settings import DEFAULT_LOCK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate routes.yaml",
        description=(
            "Validate a routes.yaml with the proxy's own loader: schema, path templates, "
            "overlaps, canary rules. Prints `ok: N routes, revision R`, or one line per "
            "problem as file:line: route 'id': message and exits 1."
        ),
    )
    parser.add_argument(
        "file",
        nargs="?",
        help="the routes file (default: $STRANGLER_ROUTES, else routes.yaml)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    path = args.file or os.environ.get("STRANGLER_ROUTES") or "routes.yaml"
    try:
        loaded = load_routes(path)
        _refuse_lost_routes(Path(path), loaded)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return 1
    stages: dict[str, int] = {}
    for route in loaded.config.routes:
        stages[route.stage] = stages.get(route.stage, 0) + 1
    summary = ", ".join(f"{stage} {count}" for stage, count in stages.items())
    print(f"ok: {len(loaded.config.routes)} routes, revision {loaded.revision} ({summary})")
    return 0


def _refuse_lost_routes(path: Path, loaded: LoadedRoutes) -> None:
    """The proxy's rules for a file that may be unfinished, so check and reload agree:
    no final line break, an empty table, or a route recorded in the ratchet's lock
    (`$STRANGLER_LOCK`, else `migration.lock` beside the file) gone without `removed`."""
    lock = Path(os.environ.get("STRANGLER_LOCK") or path.parent / DEFAULT_LOCK)
    text = path.read_text(encoding="utf-8")
    problems = unfinished_file(text, str(path))
    problems += [f"{path}: {p}" for p in dropped_routes(lock_stages(lock), loaded.config)]
    if problems:
        raise ConfigError(problems)
