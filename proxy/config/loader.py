"""Load routes.yaml: parse, validate, and say exactly where a problem is.

A load either yields a whole validated `LoadedRoutes` or raises `ConfigError` with
every problem as `file:line: route 'id': message`; nothing is ever half applied.
A file that is to *replace* a table (a reload, a worker's start, `strangler check`
against the lock) goes through `parse_successor`, which also refuses what a valid
but unfinished file looks like: no final line break, an empty table, routes gone.
Line numbers come from the YAML node tree (`yaml.compose`), because a pydantic error
location such as `('routes', 7, 'stage')` means little to the engineer editing the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError

from proxy.config import moves
from proxy.config.models import FieldProblem, RouteProblem, RoutesConfig, Stage
from proxy.config.moves import Position, position_of

__all__ = [
    "ConfigError",
    "LoadedRoutes",
    "backward_moves",
    "dropped_routes",
    "load_routes",
    "parse_routes",
    "parse_successor",
    "positions_of",
    "route_lines",
    "unfinished_file",
    "unsafe_changes",
]


class ConfigError(Exception):
    """routes.yaml cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class LoadedRoutes:
    """A validated route table and where it came from.

    Parameters:
        config: the validated models.
        revision: first 12 hex digits of the file's SHA-256, shown in status and logs.
        source: the file name used in messages.
        loaded_at: when it was validated (UTC).
    """

    config: RoutesConfig
    revision: str
    source: str
    loaded_at: datetime


def load_routes(path: str | Path) -> LoadedRoutes:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    return parse_routes(text, source=str(path))


def parse_routes(text: str, *, source: str = "routes.yaml") -> LoadedRoutes:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}: invalid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{source}:1: expected a mapping with version, upstreams, routes"])
    lines = _LineIndex(node)
    try:
        config = RoutesConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, lines, source)) from None
    revision = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    loaded_at = datetime.now(UTC)
    return LoadedRoutes(config=config, revision=revision, source=source, loaded_at=loaded_at)


def parse_successor(
    text: str, *, source: str, before: Mapping[str, Position | Stage] | None
) -> LoadedRoutes:
    """Parse a file meant to replace a table whose routes stood at `before`.

    `before` is None when no earlier table is known. Raises `ConfigError` for an
    invalid file and for one that `unfinished_file` or `unsafe_changes` refuses.
    """
    unfinished = unfinished_file(text, source)
    if unfinished:
        raise ConfigError(unfinished)
    loaded = parse_routes(text, source=source)
    problems = unsafe_changes(before, loaded.config)
    if problems:
        raise ConfigError([f"{source}: {problem}" for problem in problems])
    return loaded


def positions_of(config: RoutesConfig) -> dict[str, Position]:
    """Where each route stands (stage, and percent at canary): what a move is judged from."""
    return {route.id: position_of(route) for route in config.routes}


def unsafe_changes(
    before: Mapping[str, Position | Stage] | None, new: RoutesConfig
) -> list[str]:
    """Why `new` may not replace a table whose routes stood at `before` (None: unknown):
    `dropped_routes`, and a step back without an unexpired rollback (`proxy.config.moves`)."""
    steps = [str(p) for p in moves.backward_moves(before, new)] if before is not None else []
    return dropped_routes(before, new) + steps


def dropped_routes(before: Mapping[str, Position | Stage] | None, new: RoutesConfig) -> list[str]:
    """Routes lost by `new`, which a file cut short or written half looks like:

    - an empty table: it would send every request to legacy as unmapped;
    - a route of `before` that is gone without a `removed: [{id, reason}]` entry.
    """
    if not new.routes:
        return [
            "the route table is empty: that would send every request to legacy as "
            "unmapped (a file emptied or cut short?); list the routes"
        ]
    if before is None:
        return []
    listed = {route.id for route in new.routes} | {entry.id for entry in new.removed}
    missing = [
        f"{route_id!r} (at {stage})" for route_id, stage in before.items() if route_id not in listed
    ]
    if not missing:
        return []
    example = next(route_id for route_id in before if route_id not in listed)
    return [
        f"{len(missing)} route{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}; "
        f'a route leaves the table only with `removed: [{{id: {example}, reason: "…"}}]` '
        "(a file cut short looks the same)"
    ]


def backward_moves(old: RoutesConfig, new: RoutesConfig) -> list[str]:
    """Routes that stepped back without an unexpired rollback (a refused reload).

    The rule is `proxy.config.moves`, shared with `strangler check` and the ratchet.
    """
    return [str(problem) for problem in moves.backward_moves(old, new)]


def unfinished_file(text: str, source: str) -> list[str]:
    """A file that stops mid-line: most likely caught while it is being written."""
    # A file caught while it is being written usually stops mid-line; editors and
    # YAML writers end a finished file with a line break.
    if text and not text.endswith("\n"):
        line = text.count("\n") + 1
        return [
            f"{source}:{line}: the file does not end with a line break: it looks cut short "
            "(a write in progress?); save it whole, e.g. write a temporary file and rename it"
        ]
    return []


class _LineIndex:
    """Maps a pydantic error location to the 1-based line of the YAML node it names."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def line_of(self, loc: tuple[int | str, ...]) -> int:
        node = self.root
        line = 1 if node is None else node.start_mark.line + 1
        for key in loc:
            node = self._child(node, key)
            if node is None:
                break
            line = node.start_mark.line + 1
        return line

    @staticmethod
    def _child(node: yaml.Node | None, key: int | str) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    return cast(yaml.Node, value_node)
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            return cast(yaml.Node, node.value[key])
        return None


def _describe(
    exc: ValidationError, data: dict[str, Any], lines: _LineIndex, source: str
) -> list[str]:
    problems = []
    listed = data.get("routes")
    routes: list[Any] = listed if isinstance(listed, list) else []
    for error in exc.errors():
        loc = tuple(error["loc"])
        cause = error.get("ctx", {}).get("error")
        route_label = ""
        if isinstance(cause, RouteProblem):
            loc = ("routes", cause.index)
            message = str(cause)
        else:
            message = error["msg"].removeprefix("Value error, ")
            if isinstance(cause, FieldProblem):  # point at the offending key's own line
                loc = (*loc, cause.field)
                message = str(cause).removeprefix(f"{cause.field}: ")
            if len(loc) >= 2 and loc[0] == "routes" and isinstance(loc[1], int):
                route_id = _id_of(routes[loc[1]]) if loc[1] < len(routes) else None
                route_label = f"route {route_id!r}: " if route_id else f"route #{loc[1] + 1}: "
                field = ".".join(str(part) for part in loc[2:])
                message = f"{field}: {message}" if field else message
            elif loc:
                message = f"{'.'.join(str(part) for part in loc)}: {message}"
        problems.append(f"{source}:{lines.line_of(loc)}: {route_label}{message}")
    return problems


def _id_of(route: object) -> str | None:
    return route.get("id") if isinstance(route, dict) and isinstance(route.get("id"), str) else None


def route_lines(text: str) -> dict[str, int]:
    """The 1-based line of each route's entry, by id (for messages about a whole route)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    routes = _LineIndex._child(root, "routes")
    if not isinstance(routes, yaml.SequenceNode):
        return {}
    lines: dict[str, int] = {}
    for node in routes.value:
        id_node = _LineIndex._child(node, "id")
        if isinstance(id_node, yaml.ScalarNode):
            lines.setdefault(str(id_node.value), node.start_mark.line + 1)
    return lines
