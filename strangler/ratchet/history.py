"""The migration over time: the share migrated at each commit that moved it.

Read from git itself (`git log` for the commits that touched routes.yaml or the
baseline, `git show <sha>:<path>` for the file then), so the history needs no
bookkeeping of its own and cannot disagree with the repository.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from proxy.config import STAGES, ConfigError, parse_routes
from strangler.ratchet.baseline import parse_baseline
from strangler.ratchet.settings import RatchetConfigError, RatchetSettings

__all__ = ["Point", "migration_history", "render_history"]

_GIT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Point:
    """The migration at one commit.

    Parameters:
        commit: full sha.
        date: committer date, ISO 8601.
        source: the file the figures come from (routes.yaml, else the baseline).
        routes_total, migrated, percent_migrated: routes, those at modern or retired.
        by_stage: routes per stage.
    """

    commit: str
    date: str
    source: str
    routes_total: int
    migrated: int
    percent_migrated: float
    by_stage: dict[str, int]


def migration_history(settings: RatchetSettings) -> list[Point]:
    """One point per commit that changed routes.yaml or the baseline, oldest first."""
    routes, baseline = settings.relative(settings.routes), settings.relative(settings.baseline)
    log = _git(settings.root, "log", "--reverse", "--format=%H %cI", "--", routes, baseline)
    points = []
    for line in log.splitlines():
        commit, _, when = line.partition(" ")
        stages = _stages_at(settings.root, commit, routes, baseline)
        if stages is None:
            continue  # neither file readable at this commit (e.g. both deleted)
        source, counts = stages
        total = sum(counts.values())
        migrated = counts["modern"] + counts["retired"]
        points.append(Point(
            commit=commit, date=when, source=source, routes_total=total, migrated=migrated,
            percent_migrated=round(100.0 * migrated / total, 1) if total else 0.0,
            by_stage={stage: counts[stage] for stage in STAGES},
        ))  # fmt: skip
    return points


def render_history(points: list[Point], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([asdict(p) for p in points], sort_keys=True, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["commit", "date", "source", "routes_total", "migrated", "percent_migrated",
                     *STAGES])  # fmt: skip
    for p in points:
        writer.writerow([p.commit, p.date, p.source, p.routes_total, p.migrated,
                         p.percent_migrated, *(p.by_stage[s] for s in STAGES)])  # fmt: skip
    return buffer.getvalue()


def _stages_at(
    root: Path, commit: str, routes: str, baseline: str
) -> tuple[str, Counter[str]] | None:
    text = _show(root, commit, routes)
    if text is not None:
        try:
            config = parse_routes(text, source=f"{commit[:12]}:{routes}").config
            return routes, Counter(route.stage for route in config.routes)
        except ConfigError:
            pass  # an invalid routes.yaml at that commit: fall back to the baseline
    text = _show(root, commit, baseline)
    if text is not None:
        try:
            recorded = parse_baseline(text, source=f"{commit[:12]}:{baseline}")
            return baseline, Counter(entry.stage for entry in recorded.routes.values())
        except RatchetConfigError:
            pass
    return None


def _show(root: Path, commit: str, path: str) -> str | None:
    try:
        return _git(root, "show", f"{commit}:./{path}")
    except RatchetConfigError:
        return None


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=_GIT_TIMEOUT,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RatchetConfigError(f"cannot run git: {exc}") from None
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()[-1:] or ["failed"]
        raise RatchetConfigError(f"git {args[0]} in {root}: {message[0]}")
    return result.stdout
