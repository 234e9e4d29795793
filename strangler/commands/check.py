"""`strangler check [FILE]`: validate routes.yaml exactly as the proxy would load it.

Beyond the schema, the check applies the proxy's own backward-move rule
(`proxy.config.moves`, the one the proxy's reload and the ratchet use): against the
positions `migration.lock` records (and owes, for recorded rollbacks), and with
`--url` against the table a running proxy has in force, so a file that passes the
check is a file the proxy accepts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from proxy.applied import lock_positions
from proxy.config import (
    ConfigError,
    LoadedRoutes,
    MoveProblem,
    Position,
    dropped_routes,
    load_routes,
    rollback_expired,
    unfinished_file,
)
from proxy.config.loader import route_lines
from proxy.config.moves import backward_moves
from proxy.settings import DEFAULT_LOCK
from strangler.errors import CommandError

LOCK_NAME = DEFAULT_LOCK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate routes.yaml (and that no route moved back without a rollback)",
        description=(
            "Validate a routes.yaml with the proxy's own loader: schema, path templates, "
            "overlaps, canary rules, settings that contradict a stage. Then apply the "
            "proxy's backward-move rule (an earlier stage, or a lower canary percent, "
            "needs `rollback: {reason, expires}`) against migration.lock and, with --url, "
            "against the running proxy's table. Prints `ok: N routes, revision R`, or one "
            "line per problem as file:line: route 'id': message and exits 1."
        ),
    )
    parser.add_argument(
        "file",
        nargs="?",
        help="the routes file (default: $STRANGLER_ROUTES, else routes.yaml)",
    )
    parser.add_argument(
        "--lock",
        help=f"the ratchet baseline to compare with (default: {LOCK_NAME} beside the file, "
        "if there is one)",
    )
    parser.add_argument(
        "--url", help="also compare with the table in force in the proxy at this base URL"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    path = args.file or os.environ.get("STRANGLER_ROUTES") or "routes.yaml"
    try:
        loaded = load_routes(path)
        _refuse_lost_routes(Path(path), loaded)
    except ConfigError as exc:
        return _fail(path, list(exc.problems), "")
    lines = route_lines(Path(path).read_text(encoding="utf-8"))
    found: list[MoveProblem] = []
    against: list[str] = []
    lock = _lock_path(path, args.lock)
    if lock is not None:
        against.append(str(lock))
        found += backward_moves(_lock_positions(lock), loaded.config)
    if args.url:
        revision, positions = _proxy_positions(args.url)
        against.append(f"the proxy at {args.url} (revision {revision})")
        found += [p for p in backward_moves(positions, loaded.config) if p not in found]
    problems = [f"{path}:{lines.get(p.route_id, 1)}: {p.message}" for p in found]
    refused = {p.route_id for p in found}
    for warning in _expired(path, lines, loaded, refused):
        print(f"warning: {warning}", file=sys.stderr)
    where = f" against {' and '.join(against)}" if against else ""
    if problems:
        return _fail(path, problems, where)
    stages: dict[str, int] = {}
    for route in loaded.config.routes:
        stages[route.stage] = stages.get(route.stage, 0) + 1
    summary = ", ".join(f"{stage} {count}" for stage, count in stages.items())
    print(f"ok: {len(loaded.config.routes)} routes, revision {loaded.revision} ({summary}){where}")
    return 0


def _refuse_lost_routes(path: Path, loaded: LoadedRoutes) -> None:
    """The proxy's rules for a file that may be unfinished, so check and reload agree:
    no final line break, an empty table, or a route recorded in the ratchet's lock
    (`$STRANGLER_LOCK`, else `migration.lock` beside the file) gone without `removed`."""
    lock = Path(os.environ.get("STRANGLER_LOCK") or path.parent / DEFAULT_LOCK)
    text = path.read_text(encoding="utf-8")
    problems = unfinished_file(text, str(path))
    problems += [f"{path}: {p}" for p in dropped_routes(lock_positions(lock), loaded.config)]
    if problems:
        raise ConfigError(problems)


def _fail(path: str, problems: list[str], where: str) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(f"{path}: {count} problem{'s' if count != 1 else ''}{where}", file=sys.stderr)
    return 1


def _expired(
    path: str, lines: dict[str, int], loaded: LoadedRoutes, refused: set[str]
) -> list[str]:
    """Expired rollbacks the move rule did not already refuse: said, never hidden."""
    out = []
    for route in loaded.config.routes:
        rollback = route.rollback
        if route.id in refused:
            continue
        if rollback is not None and rollback.expires and rollback_expired(rollback):
            out.append(
                f"{path}:{lines.get(route.id, 1)}: route {route.id!r}: its rollback expired on "
                f"{rollback.expires.isoformat()} (reason: {rollback.reason})"
            )
    return out


def _lock_path(routes: str, given: str | None) -> Path | None:
    if given:
        if not Path(given).is_file():
            raise CommandError(f"{given}: no such baseline (run `strangler ratchet update`)")
        return Path(given)
    beside = Path(routes).parent / LOCK_NAME
    return beside if beside.is_file() else None


def _lock_positions(lock: Path) -> dict[str, Position]:
    """Each route's position as the lock records it, or the one a recorded rollback owes."""
    from strangler.ratchet.baseline import parse_baseline  # only when a lock is used
    from strangler.ratchet.settings import RatchetConfigError

    try:
        baseline = parse_baseline(lock.read_text(encoding="utf-8"), source=str(lock))
    except (OSError, RatchetConfigError) as exc:
        raise CommandError(str(exc)) from None
    positions = {route_id: entry.position for route_id, entry in baseline.routes.items()}
    for route_id, owed in baseline.rollbacks.items():
        current = positions.get(route_id)
        if current is None or owed.position.rank > current.rank:
            positions[route_id] = owed.position
    return positions


def _proxy_positions(url: str) -> tuple[str, dict[str, Position]]:
    from strangler.commands.status import fetch_status

    status = fetch_status(url)
    positions: dict[str, Position] = {}
    for route in status.get("routes", []):
        stage = route.get("stage")
        canary = route.get("canary") or {}
        percent = canary.get("percent") if stage == "canary" else None
        positions[str(route.get("id"))] = Position(stage, percent)
    return str(status.get("revision")), positions
