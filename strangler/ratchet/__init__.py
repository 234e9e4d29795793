"""The architectural ratchet: the migration can only move forward.

How a run flows (docs/architecture.md, "The promotion model"):

- `settings` reads `[tool.strangler.ratchet]` from the repository's pyproject.toml:
  where the legacy inventory comes from, routes.yaml, the baseline, the modern package.
- `state.take_snapshot` gathers the current state: routes.yaml (via `proxy.config`),
  the legacy endpoints (`inventory`: the ASGI app loaded by import string, or an
  OpenAPI document; `loading` keeps that import from leaving traces) and the
  layering contracts (`contracts`: import-linter run in process).
- `baseline` reads and writes `migration.lock`, the generated record of the last
  accepted state, one sorted line per entry.
- `check.compare` lists every regression and every stale entry (`staleness`) as a
  `problems.Problem` naming its entry and its fix; `runs` wraps it as the read-only
  check and the refusing update.
- `report` renders an outcome as text, Markdown or JSON; `history` walks git for the
  migration's progress over time.

The CLI (`strangler ratchet check|update|history`) lives in `strangler.commands.ratchet`;
`formats` holds what its parser shares with the renderers.

The public names below are imported on first use (PEP 562 `__getattr__`): every
`strangler` command builds the CLI's parser, which imports `strangler.ratchet.formats`
and with it this package, and that must not load import-linter, grimp and httpx (nor
fail where the `ratchet` extra is not installed).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `X as X`: re-exported for the type checker; at run time, `__getattr__`
    from strangler.ratchet.baseline import Baseline as Baseline
    from strangler.ratchet.baseline import parse_baseline as parse_baseline
    from strangler.ratchet.check import compare as compare
    from strangler.ratchet.history import migration_history as migration_history
    from strangler.ratchet.history import render_history as render_history
    from strangler.ratchet.inventory import Endpoint as Endpoint
    from strangler.ratchet.inventory import endpoints_from_app as endpoints_from_app
    from strangler.ratchet.inventory import endpoints_from_openapi as endpoints_from_openapi
    from strangler.ratchet.problems import Outcome as Outcome
    from strangler.ratchet.problems import Problem as Problem
    from strangler.ratchet.problems import Summary as Summary
    from strangler.ratchet.report import headline as headline
    from strangler.ratchet.report import render as render
    from strangler.ratchet.runs import UpdateResult as UpdateResult
    from strangler.ratchet.runs import check_repository as check_repository
    from strangler.ratchet.runs import update_repository as update_repository
    from strangler.ratchet.settings import RatchetConfigError as RatchetConfigError
    from strangler.ratchet.settings import RatchetSettings as RatchetSettings
    from strangler.ratchet.settings import load_settings as load_settings
    from strangler.ratchet.state import Snapshot as Snapshot
    from strangler.ratchet.state import take_snapshot as take_snapshot

# Each public name and the module that defines it.
_HOMES = {
    "baseline": ("Baseline", "parse_baseline"),
    "check": ("compare",),
    "history": ("migration_history", "render_history"),
    "inventory": ("Endpoint", "endpoints_from_app", "endpoints_from_openapi"),
    "problems": ("Outcome", "Problem", "Summary"),
    "report": ("headline", "render"),
    "runs": ("UpdateResult", "check_repository", "update_repository"),
    "settings": ("RatchetConfigError", "RatchetSettings", "load_settings"),
    "state": ("Snapshot", "take_snapshot"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_HOME_OF)


def __getattr__(name: str) -> object:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found once: later look-ups never reach `__getattr__`
    return value
