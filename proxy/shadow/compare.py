"""Compare two whole answers: status line, allow-listed headers, then the body.

This is where declared differences are honoured before the body walk: an equivalent
status pair (`[500, 422]`: legacy crashes where modern validates) is `intended`, and
only allow-listed headers are compared, so modern's `Link` pagination header is no
difference unless a route asks for it. In return, a bounded root list that is shorter
than legacy's must say so with `Link: rel="next"` (`pagination_link`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl

from proxy.config.comparison import CompareRules
from proxy.exchange import CapturedResponse
from proxy.shadow.decode import decode_body, header_value
from proxy.shadow.diff import Difference, JsonDiffer
from proxy.shadow.paths import ROOT, STATUS_PATH, header_path

__all__ = ["Verdict", "compare_responses", "differ_for"]

_NEXT_LINK = re.compile(r"""rel\s*=\s*"?next"?""", re.IGNORECASE)
_CACHE_SIZE = 256
_differs: dict[int, tuple[CompareRules, JsonDiffer]] = {}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The comparison of one exchange, before noise is taken into account.

    Parameters:
        intended: the statuses are a declared-equivalent pair; nothing else compared.
        differences: every difference found (empty when the answers agree).
    """

    intended: bool = False
    differences: list[Difference] = field(default_factory=list)


def differ_for(rules: CompareRules) -> JsonDiffer:
    """The compiled differ of a rules object (rules are frozen and live as long as a table)."""
    cached = _differs.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    if len(_differs) >= _CACHE_SIZE:
        _differs.clear()
    differ = JsonDiffer(rules)
    _differs[id(rules)] = (rules, differ)
    return differ


def compare_responses(
    legacy: CapturedResponse, modern: CapturedResponse, rules: CompareRules, query: str = ""
) -> Verdict:
    """Compare two captured answers whose bodies are both present.

    `query` is the request's query string: with `?fields=a,b` modern returns only
    those fields (a declared difference), so legacy's answer is cut to them first.
    """
    differ = differ_for(rules)
    if legacy.status != modern.status:
        if [legacy.status, modern.status] in rules.equivalent_statuses:
            return Verdict(intended=True)
        if differ.ignored(STATUS_PATH):
            return Verdict()
        status = Difference("status", STATUS_PATH, STATUS_PATH, legacy.status, modern.status)
        return Verdict(differences=[status])
    out: list[Difference] = []
    for name in rules.headers:
        path = header_path(name)
        lv, mv = header_value(legacy.headers, name), header_value(modern.headers, name)
        if lv != mv and not differ.ignored(path):
            out.append(Difference("header", path, path, lv, mv))
    lb = decode_body(legacy.headers, legacy.body or b"")
    mb = decode_body(modern.headers, modern.body or b"")
    if lb.kind != mb.kind:
        out.append(Difference("type", ROOT, ROOT, lb.kind, mb.kind))
    elif lb.kind == "json":
        selected = _selected_fields(query)
        legacy_value = _project(lb.value, selected) if selected else lb.value
        out.extend(differ.diff(legacy_value, mb.value))
        out.extend(_pagination(lb.value, mb.value, modern, rules, differ))
    elif lb.value != mb.value and not differ.ignored(ROOT):
        out.append(Difference("changed", ROOT, ROOT, lb.value, mb.value))
    return Verdict(differences=out)


def _selected_fields(query: str) -> set[str] | None:
    values = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == "fields"]
    names = {name.strip() for value in values for name in value.split(",") if name.strip()}
    return names or None


def _project(value: object, fields: set[str]) -> object:
    """Keep only `fields` of an object, or of each object item of a list."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in fields}
    if isinstance(value, list):
        return [_project(item, fields) if isinstance(item, dict) else item for item in value]
    return value


def _pagination(
    legacy: object,
    modern: object,
    response: CapturedResponse,
    rules: CompareRules,
    differ: JsonDiffer,
) -> list[Difference]:
    """A shorter bounded root list without `Link: rel="next"` hides items: a `length` diff."""
    mode: Literal["exact", "prefix", "suffix", "subset"] = differ.list_mode(ROOT)
    if not rules.pagination_link or mode not in ("prefix", "suffix"):
        return []
    if not isinstance(legacy, list) or not isinstance(modern, list) or not modern:
        return []
    link = header_value(response.headers, "link") or ""
    if len(modern) < len(legacy) and not _NEXT_LINK.search(link):
        return [Difference("length", ROOT, ROOT, len(legacy), len(modern))]
    return []
