"""Inline SVG charts drawn on the server: no chart library, no script, no network.

The dashboard and `strangler report`'s HTML file draw the same progress chart with the
same function, so a report opened offline looks like the live page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

__all__ = [
    "SERIES_COLOURS",
    "SMALL",
    "WIDE",
    "line_chart",
    "nice_ceiling",
    "progress_chart",
]

SERIES_COLOURS = {
    "routes": "#2e7d32", "traffic": "#1565c0", "legacy": "#78909c", "modern": "#2e7d32",
}  # fmt: skip
FLAG_COLOUR = "#c62828"
WIDE, SMALL = (900, 260), (480, 220)  # viewBox sizes: the page chart, a route's charts
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 12, 30, 34


def _label(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value` (an axis people can read)."""
    if value <= 0:
        return 1.0
    # int ** int is typed Any: here an int for values from 1 up, a float below 1.
    scale: float = 10 ** math.floor(math.log10(value))
    return next(step * scale for step in (1, 2, 5, 10) if step * scale >= value)


def progress_chart(
    times: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str = "Migration progress",
    marks: Sequence[tuple[float, float, str]] = (),
    flags: Sequence[tuple[float, str]] = (),
) -> str:
    """Percent migrated (0–100) over time, one line per series (`routes`, `traffic`).

    `marks` are (time, percent, label) dots: the snapshots taken because something moved.
    `flags` are (time, label) dashed lines: events such as overrides and guardrail trips.
    """
    return line_chart(times, series, title=title, marks=marks, flags=flags,
                      legend_suffix=" migrated")  # fmt: skip


def line_chart(
    times: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    y_max: float = 100.0,
    unit: str = " %",
    legend_suffix: str = "",
    marks: Sequence[tuple[float, float, str]] = (),
    flags: Sequence[tuple[float, str]] = (),
    size: tuple[int, int] = WIDE,
) -> str:
    """Values over time as step lines, one per series, on a 0–`y_max` axis in `unit`.

    Step lines because each point holds until the next (a stage, or an interval's
    figure). Fewer than two points still draw (a flat line), so a new deployment shows.
    """
    width, height = size
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    moments = [*times, *(ts for ts, _ in flags)]
    start = min(moments) if moments else 0.0
    end = max(moments) if moments else 1.0
    span = (end - start) or 1.0

    def x(ts: float) -> float:
        return _LEFT + plot_w * (ts - start) / span if end > start else _LEFT + plot_w / 2

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - max(0.0, min(y_max, value)) / y_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in (y_max * share for share in (0, 0.25, 0.5, 0.75, 1)):
        parts.append(
            f'<line x1="{_LEFT}" x2="{width - _RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#ddd"/><text x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#666">{tick:g}{escape(unit)}</text>'
        )
    if times:
        for edge, anchor in ((_LEFT, "start"), (width - _RIGHT, "end")):
            ts = start if anchor == "start" else end
            parts.append(
                f'<text x="{edge}" y="{height - 12}" font-size="11" text-anchor="{anchor}" '
                f'fill="#666">{_label(ts)} UTC</text>'
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
            points.append(f"{width - _RIGHT:.1f},{points[0].split(',')[1]}")
        if points:
            parts.append(
                f'<polyline class="series-{escape(name)}" fill="none" stroke="{colour}" '
                f'stroke-width="2" points="{" ".join(points)}"/>'
            )
        parts.append(
            f'<rect x="{_LEFT + index * 150}" y="8" width="12" height="4" '
            f'fill="{colour}"/><text x="{_LEFT + 16 + index * 150}" y="14" '
            f'font-size="11" fill="#333">{escape(name + legend_suffix)}</text>'
        )
    for ts, label in flags:
        parts.append(
            f'<line class="flag" x1="{x(ts):.1f}" x2="{x(ts):.1f}" y1="{_TOP}" '
            f'y2="{height - _BOTTOM}" '
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
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#777">'
            "no history yet</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
