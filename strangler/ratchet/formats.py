"""The ratchet's output vocabulary: its report formats and the stale-entry prefix.

One home for what the CLI's parser (`strangler.commands.ratchet`) offers and the ratchet
answers to (`report.render`, `history.render_history`, `staleness`). Every `strangler`
command builds that parser, so this module imports nothing: loading it must not pull in
import-linter, grimp or httpx (the package's `__init__` defers its imports for the same
reason).
"""

from __future__ import annotations

__all__ = ["FORMATS", "HISTORY_FORMATS", "STALE_PREFIX"]

# `strangler ratchet check|update --format`: terminal, pull-request comment, stable JSON.
FORMATS = ("text", "markdown", "json")
# `strangler ratchet history --format`.
HISTORY_FORMATS = ("csv", "json")
# Starts every stale entry's message; `ratchet update` strips it when listing what it recorded.
STALE_PREFIX = "not recorded in the baseline: "
