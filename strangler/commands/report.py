"""`strangler report`: the migration's history from git, as CSV, JSON and one HTML file.

The figures are `strangler ratchet history`'s (one point per commit that changed
routes.yaml or migration.lock, read with git itself); this command only writes them
down three ways. The HTML file is self-contained: the cockpit's stylesheet inline and
the chart as inline SVG drawn by the same code as the live dashboard's, so it opens
from a mail attachment or an air-gapped laptop.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strangler.commands._ratchet_settings import add_root_argument, config_errors, ratchet_settings
from strangler.errors import CommandError

if TYPE_CHECKING:
    from strangler.ratchet.history import Point

STEM = "migration-report"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the migration's history from git as HTML (with a chart), CSV and JSON",
        description=(
            "Walk the git history of routes.yaml and migration.lock (as `strangler ratchet "
            "history` does) and write OUT/migration-report.{html,csv,json}. The HTML file "
            "needs no network to open."
        ),
    )
    add_root_argument(parser)
    parser.add_argument(
        "--out", type=Path, default=Path("."), metavar="DIR",
        help="directory to write the three files into (created if missing; default: .)",
    )  # fmt: skip
    parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from strangler.ratchet import migration_history, render_history

    settings = ratchet_settings(args.root)
    with config_errors():
        points = migration_history(settings)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        written = []
        for suffix, text in (
            ("csv", render_history(points, "csv")),
            ("json", render_history(points, "json")),
            ("html", render_html(points, root=settings.root)),
        ):
            path = args.out / f"{STEM}.{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise CommandError(f"cannot write the report into {args.out}: {exc}") from None
    for path in written:
        print(path)
    return 0


def render_html(points: list[Point], *, root: Path) -> str:
    """One self-contained page: headline, the progress chart, one row per commit."""
    from proxy.admin.charts import progress_chart
    from proxy.admin.formats import count, percent
    from proxy.admin.layout import stage_pill, static_file

    css = (static_file("cockpit.css") or b"").decode()
    times = [datetime.fromisoformat(p.date).timestamp() for p in points]
    chart = progress_chart(times, {"routes": [p.percent_migrated for p in points]},
                           title="Routes migrated, per commit")  # fmt: skip
    last = points[-1] if points else None
    headline = (
        f"{percent(last.percent_migrated)} of {count(last.routes_total)} routes migrated at "
        f"{escape(last.date)} ({len(points)} commits moved the migration)"
        if last
        else "No commit has touched routes.yaml or migration.lock yet."
    )
    rows = "".join(
        f'<tr><td class="num">{escape(p.date)}</td><td><code>{escape(p.commit[:12])}</code></td>'
        f'<td class="num">{percent(p.percent_migrated)}</td>'
        f'<td class="num">{count(p.migrated)} / {count(p.routes_total)}</td><td>'
        + " ".join(f"{stage_pill(s)} {n}" for s, n in p.by_stage.items() if n)
        + f'</td><td class="muted">{escape(p.source)}</td></tr>'
        for p in reversed(points)
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Migration report — {escape(root.name)}</title>
<style>{css}</style>
</head>
<body>
<header class="top"><h1>Migration report — {escape(root.name)}</h1>
<span class="meta">from git: routes.yaml and migration.lock</span></header>
<main>
<p id="headline">{headline}</p>
<h2>Progress over time</h2>
{chart}
<h2>Commits that moved the migration</h2>
<div class="table-wrap"><table><thead><tr><th>date</th><th>commit</th>
<th class="num">migrated</th><th class="num">routes</th><th>stages</th><th>from</th></tr></thead>
<tbody>{rows}</tbody></table></div>
</main>
</body>
</html>
"""
