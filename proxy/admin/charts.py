"""Inline SVG charts drawn on the server: no chart library, no script, no network.

The dashboard and `strangler report`'s HTML file draw the same progress chart with the
same function, so a report opened offline looks like the live page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

__all__ = ["SERIES_COLOURS", "progress_chart"]

SERIES_COLOURS = {"routes": "#2e7d32", "traffic": "#1565c0"}
FLAG_COLOUR = "#c62828"
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 900, 260, 44, 12, 30, 34


def _label(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def progress_chart(
    times: Sequence[float],
    series: dict[str, Sequence[float | None]],
    *,
    title: str = "Migration progress",
    marks: Sequence[tuple[float, float, str]] = (),
    flags: Sequence[tuple[float, str]] = (),
) -> str:
    """Percent (0–100) over time as step lines, one per series (`routes`, `traffic`).

    Routes move in steps (a config change), so each line holds its value until the next
    point. Fewer than two points still draw (a flat line), so a new deployment shows one.
    `marks` are (time, percent, label) dots: the snapshots taken because something moved.
    `flags` are (time, label) dashed lines: events such as overrides and guardrail trips.
    """
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    moments = [*times, *(ts for ts, _ in flags)]
    start = min(moments) if moments else 0.0
    end = max(moments) if moments else 1.0
    span = (end - start) or 1.0

    def x(ts: float) -> float:
        return _LEFT + plot_w * (ts - start) / span if end > start else _LEFT + plot_w / 2

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - max(0.0, min(100.0, value)) / 100)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#ddd"/><text x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#666">{tick} %</text>'
        )
    if times:
        for edge, anchor in ((_LEFT, "start"), (_W - _RIGHT, "end")):
            ts = start if anchor == "start" else end
            parts.append(
                f'<text x="{edge}" y="{_H - 12}" font-size="11" text-anchor="{anchor}" fill="#666">'
                f"{_label(ts)} UTC</text>"
            )
    for index, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS.get(name, "#6a1b9a")
        points: list[str] = []
        last: float | None = None
        for ts, value in zip(times, values, strict=False):
            if value is None:
                continue
            if last is not None:
                points.append(f"{x(ts):.1f},{y(last):.1f}")  # hold, then step
            points.append(f"{x(ts):.1f},{y(value):.1f}")
            last = value
        points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
        if len(points) == 1:
            points.append(f"{_W - _RIGHT:.1f},{points[0].split(',')[1]}")
        if points:
            parts.append(
                f'<polyline class="series-{escape(name)}" fill="none" stroke="{colour}" '
                f'stroke-width="2" points="{" ".join(points)}"/>'
            )
        parts.append(
            f'<rect x="{_LEFT + index * 150}" y="8" width="12" height="4" '
            f'fill="{colour}"/><text x="{_LEFT + 16 + index * 150}" y="14" '
            f'font-size="11" fill="#333">{escape(name)} migrated</text>'
        )
    for ts, label in flags:
        parts.append(
            f'<line class="flag" x1="{x(ts):.1f}" x2="{x(ts):.1f}" y1="{_TOP}" y2="{_H - _BOTTOM}" '
            f'stroke="{FLAG_COLOUR}" stroke-width="1.5" stroke-dasharray="4 3">'
            f"<title>{escape(label)}</title></line>"
        )
    if flags:
        parts.append(
            f'<line x1="{_LEFT + 300}" x2="{_LEFT + 312}" y1="10" y2="10" stroke="{FLAG_COLOUR}" '
            f'stroke-dasharray="4 3"/><text x="{_LEFT + 316}" y="14" font-size="11" '
            'fill="#333">events (overrides, guardrail, autopilot)</text>'
        )
    for ts, value, label in marks:
        parts.append(
            f'<circle class="change" cx="{x(ts):.1f}" cy="{y(value):.1f}" r="3.5" '
            f'fill="#fff" stroke="{SERIES_COLOURS["routes"]}" stroke-width="2">'
            f"<title>{escape(label)}</title></circle>"
        )
    if not times:
        parts.append(
            f'<text x="{_W / 2}" y="{_H / 2}" text-anchor="middle" fill="#777">'
            "no history yet</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
