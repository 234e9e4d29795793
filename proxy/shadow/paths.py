"""Field paths: how a difference names where it is, and how rules select paths.

A concrete path names one value (`rooms[2].members[0].display_name`); its folded form
replaces every index with `[*]` (`rooms[*].members[*].display_name`) so that counts
add up per field rather than per list position. The body's root is `$`; the status
line and headers live outside the body as `@status` and `@headers.<name>`, so they
can never collide with a body key such as `status`.

Rule patterns (`ignore`, `list_rules`, `unordered`, tolerances) are folded paths in
which `*` stands for any one key and `[*]` for any index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["ROOT", "STATUS_PATH", "PathRules", "child_index", "child_key", "header_path"]

ROOT = "$"
STATUS_PATH = "@status"


def header_path(name: str) -> str:
    return f"@headers.{name}"


def child_key(path: str, key: str) -> str:
    return key if path == ROOT else f"{path}.{key}"


def child_index(path: str, index: int | str) -> str:
    """Append an index (or `*`); the root list's items are `[i]`, not `$[i]`."""
    return f"[{index}]" if path == ROOT else f"{path}[{index}]"


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip()
    if pattern in ("", ROOT):
        return re.compile(re.escape(ROOT))
    parts: list[str] = []
    for token in re.split(r"(\[\*\]|\[\d+\]|\.)", pattern):
        if token in ("", "."):
            if token == ".":
                parts.append(r"\.")
            continue
        if token.startswith("["):
            parts.append(r"\[\*\]")  # a concrete index in a rule means any index
        elif token == "*":
            parts.append(r"[^.\[\]]+")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts))


class PathRules:
    """A set of patterns, asked whether a folded path is selected; cached per path."""

    __slots__ = ("_cache", "_patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = [_compile(p) for p in patterns]
        self._cache: dict[str, int | None] = {}

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def index(self, path: str) -> int | None:
        """Position of the first pattern matching `path`, or None."""
        if not self._patterns:
            return None
        if path not in self._cache:
            self._cache[path] = next(
                (i for i, p in enumerate(self._patterns) if p.fullmatch(path)), None
            )
        return self._cache[path]

    def matches(self, path: str) -> bool:
        return self.index(path) is not None
