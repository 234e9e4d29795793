"""An `Outcome` in three forms: a terminal summary, Markdown for a pull request, JSON.

The JSON form is stable (sorted keys, sorted problems, no timestamps) so that tools
can diff two runs; the Markdown form has one table per problem kind so a reviewer
sees at a glance what kind of step back a pull request takes.
"""

from __future__ import annotations

import json
from collections import defaultdict

from strangler.ratchet.problems import KINDS, Outcome, Problem, Summary

__all__ = ["headline", "render"]


def render(outcome: Outcome, fmt: str, *, baseline: str) -> str:
    if fmt == "json":
        return _json(outcome, baseline)
    if fmt == "markdown":
        return _markdown(outcome, baseline)
    return _text(outcome, baseline)


def headline(outcome: Outcome) -> str:
    """`14/21 routes migrated (67%), 0 regressions, 1 rollback expiring on 2026-12-01`."""
    summary = outcome.summary
    parts = [
        f"{summary.migrated}/{summary.routes_total} routes migrated ({summary.percent:.0f}%)",
        _count(len(outcome.regressions), "regression"),
    ]
    if outcome.stale:
        parts.append(_count(len(outcome.stale), "stale entry", "stale entries"))
    parts.append(_rollbacks(summary))
    parts.append(_count(summary.exceptions, "layering exception"))
    return ", ".join(parts)


def _rollbacks(summary: Summary) -> str:
    """`2 rollbacks expiring on …`; an expired one is said to have expired, never to be
    expiring."""
    if not summary.rollbacks:
        return "0 rollbacks"
    live = [(route, expires) for route, expires, _ in summary.rollbacks
            if route not in summary.expired]  # fmt: skip
    dead = sorted(expires or "" for route, expires, _ in summary.rollbacks
                  if route in summary.expired)  # fmt: skip
    count = _count(len(summary.rollbacks), "rollback")
    dates = sorted(expires for _, expires in live if expires)
    if dead:
        said = f"{count}, {len(dead)} expired on {dead[0]}"
        return said + (f", next expiring on {dates[0]}" if dates else "")
    return f"{count} expiring on {dates[0]}" if dates else f"{count} without expiry"


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _stages(summary: Summary) -> str:
    return ", ".join(f"{stage} {count}" for stage, count in summary.by_stage.items())


def _text(outcome: Outcome, baseline: str) -> str:
    summary = outcome.summary
    lines = [
        f"ratchet: {headline(outcome)}",
        f"  stages: {_stages(summary)}; {_count(summary.legacy_endpoints, 'legacy endpoint')}; "
        f"{_count(len(summary.contracts), 'layering contract')} checked",
    ]
    for problem in outcome.problems:
        lines.append(f"  ✗ [{problem.kind}] {problem.message}")
        lines.append(f"      fix: {problem.fix}")
    if outcome.ok:
        lines.append(f"ok: the repository is at or ahead of {baseline}")
    else:
        lines.append(f"FAILED: {_count(len(outcome.problems), 'problem')} against {baseline}")
    return "\n".join(lines) + "\n"


def _markdown(outcome: Outcome, baseline: str) -> str:
    mark = "✅" if outcome.ok else "❌"
    lines = [
        f"### {mark} Migration ratchet",
        "",
        f"**{headline(outcome)}**",
        "",
        "| " + " | ".join(outcome.summary.by_stage) + " |",
        "|" + " --- |" * len(outcome.summary.by_stage),
        "| " + " | ".join(str(n) for n in outcome.summary.by_stage.values()) + " |",
    ]
    grouped: dict[str, list[Problem]] = defaultdict(list)
    for problem in outcome.problems:
        grouped[problem.kind].append(problem)
    for kind, title in KINDS.items():
        if kind not in grouped:
            continue
        lines += ["", f"#### {title}", "", "| entry | problem | fix |", "| --- | --- | --- |"]
        lines += [
            f"| `{_cell(p.entry)}` | {_cell(p.message)} | {_cell(p.fix)} |" for p in grouped[kind]
        ]
    if outcome.ok:
        lines += ["", f"The repository is at or ahead of `{baseline}`."]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _json(outcome: Outcome, baseline: str) -> str:
    document = {
        "ok": outcome.ok,
        "baseline": baseline,
        "headline": headline(outcome),
        "summary": outcome.summary.as_dict(),
        "regressions": len(outcome.regressions),
        "stale": len(outcome.stale),
        "problems": [problem.as_dict() for problem in outcome.problems],
    }
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
