"""The two runs the CLI offers: `check` (read only) and `update` (rewrite the baseline).

`update` writes only when nothing but stale entries stands between the current state
and the baseline: a regression without a reason is refused with the same messages
`check` prints, so the baseline can record progress and reasoned rollbacks only.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date

from proxy.config.moves import today_utc
from strangler.ratchet.baseline import parse_baseline
from strangler.ratchet.check import compare
from strangler.ratchet.problems import Outcome, Problem
from strangler.ratchet.settings import RatchetConfigError, RatchetSettings
from strangler.ratchet.state import take_snapshot

__all__ = ["UpdateResult", "check_repository", "update_repository"]


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What `update` did.

    Parameters:
        outcome: the refusing comparison, or after a write the state against the new file.
        written: whether the baseline file was (re)written.
        recorded: the stale entries the write recorded.
    """

    outcome: Outcome
    written: bool
    recorded: tuple[Problem, ...] = ()


def check_repository(settings: RatchetSettings, *, today: date | None = None) -> Outcome:
    """Compare the repository with its baseline; a missing baseline is a config error."""
    text = _read(settings)
    if text is None:
        raise RatchetConfigError(
            f"{settings.baseline}: no baseline yet; create it with "
            "`strangler ratchet update` and commit it"
        )
    recorded = parse_baseline(text, source=settings.relative(settings.baseline))
    return compare(take_snapshot(settings), recorded, today=_today(today), recorded_text=text)


def update_repository(settings: RatchetSettings, *, today: date | None = None) -> UpdateResult:
    """Rewrite the baseline from the current state unless a regression forbids it."""
    text = _read(settings)
    recorded = None
    if text is not None:
        recorded = parse_baseline(text, source=settings.relative(settings.baseline))
    snapshot, day = take_snapshot(settings), _today(today)
    outcome = compare(snapshot, recorded, today=day, recorded_text=text)
    if outcome.regressions:
        return UpdateResult(outcome=outcome, written=False)
    new_text = outcome.proposed.render()
    if new_text == text:
        return UpdateResult(outcome=outcome, written=False)
    _write_atomically(settings, new_text)
    after = compare(snapshot, outcome.proposed, today=day, recorded_text=new_text)
    return UpdateResult(outcome=after, written=True, recorded=outcome.stale)


def _today(today: date | None) -> date:
    return today if today is not None else today_utc()  # the proxy's clock for expiry too


def _read(settings: RatchetSettings) -> str | None:
    try:
        return settings.baseline.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RatchetConfigError(f"{settings.baseline}: cannot read: {exc.strerror}") from None


def _write_atomically(settings: RatchetSettings, text: str) -> None:
    """Write beside the target, then rename: a reader never sees half a baseline."""
    target = settings.baseline
    try:
        handle, temporary = tempfile.mkstemp(prefix=".ratchet-", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would surprise a committed file
        os.replace(temporary, target)
    except OSError as exc:
        raise RatchetConfigError(f"{target}: cannot write: {exc.strerror or exc}") from None
