"""Field-by-field comparison of two decoded JSON bodies under a route's rules.

The walk carries two paths: the folded one (`rooms[*].members[*].id`) that rules and
counters use, and the concrete one (`rooms[2].members[0].id`) kept in samples. Lists
are where legacy and modern legitimately differ (modern bounds them), so each list is
compared in its mode: `exact`, `prefix` / `suffix` (modern's bounded page is the head
or tail of legacy's whole list), `subset` (every item modern shows exists in legacy,
matched by `id`), or `unordered` by a key. Lists of objects that all carry an `id` are
aligned by id, so one dropped item reads as one `missing` item, not as every later
item `changed`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from proxy.config.comparison import CompareRules, Tolerance
from proxy.shadow.paths import ROOT, PathRules, child_index, child_key

__all__ = ["Difference", "DifferenceKind", "JsonDiffer"]

DifferenceKind = Literal[
    "changed", "missing", "extra", "type", "order", "length", "status", "header"
]
ListMode = Literal["exact", "prefix", "suffix", "subset"]
_ORDER_SAMPLE = 10


@dataclass(frozen=True, slots=True)
class Difference:
    """One way modern's answer departs from legacy's.

    Parameters:
        kind: changed | missing | extra | type | order | length | status | header.
        path: the folded path, e.g. `rooms[*].members[*].display_name`.
        at: the concrete path, e.g. `rooms[1].members[0].display_name`.
        legacy, modern: the two values (None where one side has nothing).
    """

    kind: DifferenceKind
    path: str
    at: str
    legacy: object = None
    modern: object = None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _item_key(item: object, key: str) -> str:
    """The identity of a list item: its `key` field, or the whole item for scalars."""
    if isinstance(item, dict) and key in item:
        return json.dumps(item[key], sort_keys=True)
    return json.dumps(item, sort_keys=True, default=str)


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class JsonDiffer:
    """Compares JSON values under one route's `CompareRules`; build once per rules object."""

    def __init__(self, rules: CompareRules) -> None:
        self._root_mode: ListMode = rules.lists
        self._ignore = PathRules(rules.ignore)
        self._list_modes: list[ListMode] = list(rules.list_rules.values())
        self._list_rules = PathRules(rules.list_rules)
        self._unordered_keys = list(rules.unordered.values())
        self._unordered = PathRules(rules.unordered)
        self._tolerances: list[Tolerance] = list(rules.tolerances)
        self._tolerance_rules = PathRules(t.path for t in rules.tolerances)

    def ignored(self, path: str) -> bool:
        return self._ignore.matches(path)

    def diff(self, legacy: object, modern: object) -> list[Difference]:
        out: list[Difference] = []
        self._walk(legacy, modern, ROOT, ROOT, out)
        return out

    def list_mode(self, path: str) -> ListMode:
        index = self._list_rules.index(path)
        if index is not None:
            return self._list_modes[index]
        return self._root_mode if path == ROOT else "exact"

    def _walk(
        self, legacy: object, modern: object, path: str, at: str, out: list[Difference]
    ) -> None:
        if self._ignore.matches(path):
            return
        lt, mt = _json_type(legacy), _json_type(modern)
        if lt != mt:
            kind: DifferenceKind = "changed" if "null" in (lt, mt) else "type"
            out.append(Difference(kind, path, at, legacy, modern))
        elif isinstance(legacy, dict) and isinstance(modern, dict):
            self._objects(legacy, modern, path, at, out)
        elif isinstance(legacy, list) and isinstance(modern, list):
            self._lists(legacy, modern, path, at, out)
        elif not self._same_scalar(legacy, modern, path):
            out.append(Difference("changed", path, at, legacy, modern))

    def _objects(
        self,
        legacy: dict[str, object],
        modern: dict[str, object],
        path: str,
        at: str,
        out: list[Difference],
    ) -> None:
        for key, value in legacy.items():
            sub = child_key(path, key)
            if key not in modern:
                if not self._ignore.matches(sub):
                    out.append(Difference("missing", sub, child_key(at, key), value, None))
            else:
                self._walk(value, modern[key], sub, child_key(at, key), out)
        for key, value in modern.items():
            sub = child_key(path, key)
            if key not in legacy and not self._ignore.matches(sub):
                out.append(Difference("extra", sub, child_key(at, key), None, value))

    def _lists(
        self, legacy: list[object], modern: list[object], path: str, at: str, out: list[Difference]
    ) -> None:
        mode = self.list_mode(path)
        unordered = self._unordered.index(path)
        if unordered is not None:
            key = self._unordered_keys[unordered]
            self._keyed(legacy, modern, path, at, key, 0, False, mode != "exact", out)
            return
        if mode == "subset":
            self._keyed(legacy, modern, path, at, "id", 0, False, True, out)
            return
        offset = 0
        window = legacy
        if mode != "exact" and len(modern) <= len(legacy):
            offset = 0 if mode == "prefix" else len(legacy) - len(modern)
            window = legacy[offset : offset + len(modern)]
        if mode != "exact" and legacy and not modern:
            out.append(Difference("length", path, at, len(legacy), 0))
        if all(isinstance(i, dict) and "id" in i for i in (*window, *modern)) and window:
            self._keyed(window, modern, path, at, "id", offset, True, False, out)
            return
        if len(window) != len(modern):
            out.append(Difference("length", path, at, len(legacy), len(modern)))
        item = child_index(path, "*")
        for i, (lv, mv) in enumerate(zip(window, modern, strict=False)):
            self._walk(lv, mv, item, child_index(at, offset + i), out)

    def _keyed(
        self,
        legacy: list[object],
        modern: list[object],
        path: str,
        at: str,
        key: str,
        offset: int,
        ordered: bool,
        missing_ok: bool,
        out: list[Difference],
    ) -> None:
        """Align items by identity: missing, extra, (optionally) order, then each pair."""
        item = child_index(path, "*")
        if self._ignore.matches(item):
            return
        legacy_at = {_item_key(v, key): i for i, v in enumerate(legacy)}
        modern_at = {_item_key(v, key): j for j, v in enumerate(modern)}
        if not missing_ok:
            for k, i in legacy_at.items():
                if k not in modern_at:
                    out.append(Difference("missing", item, child_index(at, offset + i), legacy[i]))
        for k, j in modern_at.items():
            if k not in legacy_at:
                out.append(Difference("extra", item, child_index(at, j), None, modern[j]))
        common = [k for k in legacy_at if k in modern_at]
        if ordered:
            modern_order = [k for k in modern_at if k in legacy_at]
            if common != modern_order:
                out.append(
                    Difference(
                        "order",
                        path,
                        at,
                        [json.loads(k) for k in common[:_ORDER_SAMPLE]],
                        [json.loads(k) for k in modern_order[:_ORDER_SAMPLE]],
                    )
                )
        for k in common:
            i = legacy_at[k]
            self._walk(legacy[i], modern[modern_at[k]], item, child_index(at, offset + i), out)

    def _same_scalar(self, legacy: object, modern: object, path: str) -> bool:
        if legacy == modern:
            return True
        index = self._tolerance_rules.index(path)
        if index is None:
            return False
        tolerance = self._tolerances[index]
        if tolerance.numeric is not None and _json_type(legacy) == "number":
            return abs(float(legacy) - float(modern)) <= tolerance.numeric  # type: ignore[arg-type]  # both JSON numbers (types equal)
        if tolerance.seconds is not None and isinstance(legacy, str) and isinstance(modern, str):
            lt, mt = _parse_time(legacy), _parse_time(modern)
            if lt is not None and mt is not None and (lt.tzinfo is None) == (mt.tzinfo is None):
                return abs((lt - mt).total_seconds()) <= tolerance.seconds
        return False
