"""The architectural ratchet: the migration can only move forward.

How a run flows (DESIGN.md §7):

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

The CLI (`strangler ratchet check|update|history`) lives in `strangler.commands.ratchet`.
"""

from __future__ import annotations

from proxy.ratchet.baseline import Baseline, parse_baseline
from proxy.ratchet.check import compare
from proxy.ratchet.history import migration_history, render_history
from proxy.ratchet.inventory import Endpoint, endpoints_from_app, endpoints_from_openapi
from proxy.ratchet.problems import Outcome, Problem, Summary
from proxy.ratchet.report import headline, render
from proxy.ratchet.runs import UpdateResult, check_repository, update_repository
from proxy.ratchet.settings import RatchetConfigError, RatchetSettings, load_settings
from proxy.ratchet.state import Snapshot, take_snapshot

__all__ = [
    "Baseline",
    "Endpoint",
    "Outcome",
    "Problem",
    "RatchetConfigError",
    "RatchetSettings",
    "Snapshot",
    "Summary",
    "UpdateResult",
    "check_repository",
    "compare",
    "endpoints_from_app",
    "endpoints_from_openapi",
    "headline",
    "load_settings",
    "migration_history",
    "parse_baseline",
    "render",
    "render_history",
    "take_snapshot",
    "update_repository",
]
