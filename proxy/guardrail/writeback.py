"""Write the effective positions back into routes.yaml, touching only what moved.

routes.yaml in git stays the source of truth: when autopilot or the guardrail has
moved a route at run time, this turns the running state into a reviewable diff.
The edits are targeted at the YAML nodes (`yaml.compose` gives each node's span),
so comments, key order, quoting and flow or block style survive:

- `stage:` takes the effective stage;
- at canary, `canary.percent` takes the effective percent (a `canary:` block is added,
  with autopilot's sticky key, when the route has none); at modern the `canary:`
  block goes (a canary rule on a modern route is a contradiction);
- a move back (a guardrail override) gets `rollback: {reason, expires}`, as the
  ratchet and the proxy's reload require.

The result is validated (`parse_routes`) before anyone writes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import yaml

from proxy.config import Route, parse_routes
from proxy.guardrail.positions import Position, configured

__all__ = ["ROLLBACK_DAYS", "Move", "WritebackError", "moves_from_status", "rewrite"]

ROLLBACK_DAYS = 14
"""A written-back rollback expires after this many days: long enough to fix modern,
short enough that the ratchet asks again."""


class WritebackError(ValueError):
    """The effective state cannot be written into this file (it is named why)."""


@dataclass(frozen=True)
class Move:
    """Where a route is to be written, and why when it is a move back."""

    route_id: str
    to: Position
    reason: str | None = None


def moves_from_status(status: Mapping[str, object]) -> list[Move]:
    """The routes whose effective position differs from routes.yaml, from `api/status`."""
    moves = []
    routes = status.get("routes")
    for entry in routes if isinstance(routes, list) else []:
        effective, configured_ = entry.get("effective"), entry.get("configured")
        if not isinstance(effective, dict) or not isinstance(configured_, dict):
            continue
        if effective.get("by") == "routes.yaml":
            continue
        to = Position.load([effective.get("stage"), effective.get("percent")])
        if to is None:
            continue
        reason = None
        if effective.get("by") == "guardrail":
            override = (entry.get("guardrail") or {}).get("override") or {}
            reason = f"guardrail: {override.get('reason', 'canary analysis failed')}"
        moves.append(Move(str(entry.get("id")), to, reason))
    return moves


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


class _Edits:
    """Replacements on the original text, applied from the end so spans stay valid."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.edits: list[tuple[int, int, str]] = []

    def replace(self, start: int, end: int, new: str) -> None:
        self.edits.append((start, end, new))

    def result(self) -> str:
        text = self.text
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text


def _route_nodes(root: yaml.Node | None) -> dict[str, yaml.MappingNode]:
    nodes: dict[str, yaml.MappingNode] = {}
    if not isinstance(root, yaml.MappingNode):
        return nodes
    for key, value in root.value:
        if key.value == "routes" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        if k.value == "id" and isinstance(v, yaml.ScalarNode):
                            nodes[v.value] = item
    return nodes


def _child(node: yaml.MappingNode, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(((k, v) for k, v in node.value if k.value == name), None)


def _flow(items: Mapping[str, object]) -> str:
    parts = []
    for key, value in items.items():
        if value is None:
            continue
        if isinstance(value, float):
            text = f"{value:g}"
        elif isinstance(value, date):
            text = value.isoformat()
        else:
            text = (
                json.dumps(value)
                if isinstance(value, str) and not value.isidentifier()
                else str(value)
            )
        parts.append(f"{key}: {text}")
    return "{" + ", ".join(parts) + "}"


def _add(
    edits: _Edits, node: yaml.MappingNode, after: tuple[yaml.Node, yaml.Node], key: str, flow: str
) -> None:
    """Add `key: flow` to a route mapping, on the line after the `after` pair (its stage)."""
    text = edits.text
    if node.flow_style:
        close = node.end_mark.index - 1
        edits.replace(close, close, f", {key}: {flow}")
        return
    indent = " " * after[0].start_mark.column
    at = _line_end(text, after[1].end_mark.index)
    edits.replace(at, at, f"{indent}{key}: {flow}\n")


def _remove(edits: _Edits, node: yaml.MappingNode, pair: tuple[yaml.Node, yaml.Node]) -> None:
    text = edits.text
    key, value = pair
    if node.flow_style:
        start, end = key.start_mark.index, value.end_mark.index
        before = text.rfind(",", node.start_mark.index, start)
        if before >= 0:
            edits.replace(before, end, "")
        else:
            after = text.find(",", end, node.end_mark.index)
            edits.replace(start, after + 1 if after >= 0 else end, "")
        return
    start = _line_start(text, key.start_mark.index)
    if isinstance(value, yaml.MappingNode | yaml.SequenceNode) and not value.flow_style:
        end = _line_start(text, value.end_mark.index)
        if end <= start:
            end = _line_end(text, value.end_mark.index)
    else:
        end = _line_end(text, value.end_mark.index)
    edits.replace(start, end, "")


def _edit_route(
    edits: _Edits, node: yaml.MappingNode, route: Route, move: Move, today: date
) -> None:
    stage_pair = _child(node, "stage")
    if stage_pair is None:
        raise WritebackError(f"route {route.id!r} has no stage key to edit")
    stage_value = stage_pair[1]
    edits.replace(stage_value.start_mark.index, stage_value.end_mark.index, move.to.stage)
    canary = _child(node, "canary")
    if move.to.stage == "canary":
        percent = f"{move.to.percent:g}"
        found = (
            _child(canary[1], "percent")
            if canary and isinstance(canary[1], yaml.MappingNode)
            else None
        )
        if found is not None:
            edits.replace(found[1].start_mark.index, found[1].end_mark.index, percent)
        elif canary is None:
            pilot = route.autopilot
            rule = {
                "percent": move.to.percent,
                "sticky": pilot.sticky if pilot else None,
                "key": pilot.key if pilot else None,
            }
            _add(edits, node, stage_pair, "canary", _flow(rule))
        else:
            raise WritebackError(f"route {route.id!r}: cannot find canary.percent to edit")
    elif canary is not None and move.to.stage in ("modern", "retired", "legacy", "shadow"):
        _remove(edits, node, canary)
    if move.reason is not None:
        rollback = {"reason": move.reason[:300], "expires": today + timedelta(days=ROLLBACK_DAYS)}
        existing = _child(node, "rollback")
        if existing is not None:
            edits.replace(existing[1].start_mark.index, existing[1].end_mark.index, _flow(rollback))
        else:
            _add(edits, node, stage_pair, "rollback", _flow(rollback))


def rewrite(
    text: str, moves: list[Move], *, today: date | None = None, source: str = "routes.yaml"
) -> str:
    """routes.yaml `text` with each move applied; raises WritebackError if it cannot be."""
    loaded = parse_routes(text, source=source)
    nodes = _route_nodes(yaml.compose(text, Loader=yaml.SafeLoader))
    edits = _Edits(text)
    day = today if today is not None else date.today()
    for move in moves:
        route = loaded.config.route(move.route_id)
        node = nodes.get(move.route_id)
        if route is None or node is None:
            raise WritebackError(f"route {move.route_id!r} is not in {source}")
        if configured(route) == move.to and move.reason is None:
            continue
        _edit_route(edits, node, route, move, day)
    result = edits.result()
    parse_routes(result, source=source)  # raises ConfigError naming the line
    return result
