"""Where the ratchet looks: `[tool.strangler.ratchet]` of the repository's pyproject.toml.

The legacy inventory's source has no default: the ratchet imports only an app the
user named (`legacy_app`) or reads an OpenAPI document (`legacy_openapi`), never a
bundled example, so a repository without either gets one message saying what to
write, and the CLI exits 2. The other keys have defaults (routes.yaml, migration.lock,
`modern`). The table is read strictly (an unknown key is an error) because a typo
such as `legacy_ap = …` would otherwise silently count as "no settings".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_BASELINE",
    "DEFAULT_MODERN_PACKAGE",
    "DEFAULT_ROUTES",
    "RatchetConfigError",
    "RatchetSettings",
    "load_settings",
]

DEFAULT_ROUTES = "routes.yaml"
DEFAULT_BASELINE = "migration.lock"
DEFAULT_MODERN_PACKAGE = "modern"
_KEYS = frozenset({"legacy_app", "legacy_openapi", "routes", "baseline", "modern_package"})


class RatchetConfigError(Exception):
    """The ratchet cannot run: a missing file, bad settings, an app that will not load.

    Distinct from a failed check: the CLI exits 2 for this, 1 for regressions.
    """


@dataclass(frozen=True, kw_only=True, slots=True)
class RatchetSettings:
    """Resolved ratchet settings for one repository.

    Parameters:
        root: the repository root; relative paths below are resolved against it.
        pyproject: the pyproject.toml holding the import-linter contracts (may not exist).
        legacy_app: import string `module:attribute` of the legacy ASGI app, or None.
        legacy_openapi: an OpenAPI document (file path or http(s) URL), or None;
            exactly one of legacy_app and legacy_openapi is set.
        routes: the routes.yaml file.
        baseline: the generated baseline file (`migration.lock`).
        modern_package: contracts naming this package count; empty means every contract.
    """

    root: Path
    pyproject: Path
    legacy_app: str | None
    legacy_openapi: str | None
    routes: Path
    baseline: Path
    modern_package: str

    def relative(self, path: Path) -> str:
        """A path as the user wrote it relative to the root, for messages and `git show`."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def load_settings(root: str | Path) -> RatchetSettings:
    root = Path(root).resolve()
    if not root.is_dir():
        raise RatchetConfigError(f"{root}: not a directory (--root must name the repository)")
    pyproject = root / "pyproject.toml"
    table: dict[str, Any] = _ratchet_table(pyproject)  # each value checked to be a str below
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise RatchetConfigError(
            f"{pyproject}: [tool.strangler.ratchet] has unknown key(s) {', '.join(unknown)}; "
            f"known keys: {', '.join(sorted(_KEYS))}"
        )
    for key, value in table.items():
        if not isinstance(value, str):
            raise RatchetConfigError(
                f"{pyproject}: [tool.strangler.ratchet] {key} must be a string"
            )
    if "legacy_app" in table and "legacy_openapi" in table:
        raise RatchetConfigError(
            f"{pyproject}: [tool.strangler.ratchet] sets both legacy_app and legacy_openapi; "
            "choose one inventory source"
        )
    openapi = table.get("legacy_openapi")
    legacy_app = table.get("legacy_app")
    if not openapi and not legacy_app:
        raise RatchetConfigError(_needs_a_source(pyproject, has_table=bool(table)))
    return RatchetSettings(
        root=root,
        pyproject=pyproject,
        legacy_app=legacy_app,
        legacy_openapi=openapi,
        routes=root / table.get("routes", DEFAULT_ROUTES),
        baseline=root / table.get("baseline", DEFAULT_BASELINE),
        modern_package=table.get("modern_package", DEFAULT_MODERN_PACKAGE),
    )


def _needs_a_source(pyproject: Path, *, has_table: bool) -> str:
    where = "sets neither legacy_app nor legacy_openapi" if has_table else "is missing"
    return (
        f"{pyproject}: [tool.strangler.ratchet] {where}; the ratchet needs the legacy "
        'inventory: legacy_app = "package.module:app" (an import string for the legacy '
        'ASGI app) or legacy_openapi = "openapi.json" (an OpenAPI document: file or URL)'
    )


def _ratchet_table(pyproject: Path) -> dict[str, object]:
    if not pyproject.is_file():
        return {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RatchetConfigError(f"{pyproject}: cannot read: {exc}") from None
    table = data.get("tool", {}).get("strangler", {}).get("ratchet", {})
    if not isinstance(table, dict):
        raise RatchetConfigError(f"{pyproject}: [tool.strangler.ratchet] must be a table")
    return table
