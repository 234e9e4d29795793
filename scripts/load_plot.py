"""A self-contained SVG chart of p95 latency against concurrent users, one line per variant.

Written by hand so the load test needs no plotting library: both axes are
logarithmic (users grow in steps from 1 to thousands; latency from milliseconds to
seconds), the p95 limit is a dashed line, and each step is a labelled point.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

WIDTH, HEIGHT = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 50
COLOURS = {"before": "#c0392b", "after": "#1e7f4f"}


def _scale(low: float, high: float, start: float, end: float) -> Any:
    span = math.log10(high) - math.log10(low) or 1.0
    return lambda v: start + (math.log10(v) - math.log10(low)) / span * (end - start)


def _decades(low: float, high: float, marks: tuple[int, ...] = (1,)) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [m * 10.0**k for k in range(first, last + 1) for m in marks]


def write_svg(path: Path, series: dict[str, list[dict[str, Any]]], *, limit_ms: float) -> None:
    """`series`: variant → steps, each with `users` and `overall.p95_ms`."""
    points = {
        name: [(s["users"], s["overall"]["p95_ms"]) for s in steps if s["overall"]["p95_ms"]]
        for name, steps in series.items()
    }
    users = [u for pts in points.values() for u, _ in pts] or [1]
    ms = [m for pts in points.values() for _, m in pts] + [limit_ms]
    x_low, x_high = 1.0, max(10.0, max(users) * 1.5)
    y_low, y_high = max(0.1, min(ms) / 2), max(ms) * 2
    x = _scale(x_low, x_high, LEFT, WIDTH - RIGHT)
    y = _scale(y_low, y_high, HEIGHT - BOTTOM, TOP)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="15">p95 latency against concurrent users</text>',
    ]
    for tick in _decades(x_low, x_high, (1, 2, 5)):
        if x_low <= tick <= x_high:
            out.append(f'<line x1="{x(tick):.1f}" y1="{TOP}" x2="{x(tick):.1f}" '
                       f'y2="{HEIGHT - BOTTOM}" stroke="#ddd"/>'
                       f'<text x="{x(tick):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                       f'text-anchor="middle">{tick:g}</text>')  # fmt: skip
    for tick in _decades(y_low, y_high):
        if y_low <= tick <= y_high:
            out.append(f'<line x1="{LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - RIGHT}" '
                       f'y2="{y(tick):.1f}" stroke="#ddd"/>'
                       f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
                       f'text-anchor="end">{tick:g} ms</text>')  # fmt: skip
    out.append(f'<line x1="{LEFT}" y1="{y(limit_ms):.1f}" x2="{WIDTH - RIGHT}" '
               f'y2="{y(limit_ms):.1f}" stroke="#555" stroke-dasharray="6 4"/>'
               f'<text x="{WIDTH - RIGHT}" y="{y(limit_ms) - 5:.1f}" text-anchor="end">'
               f'limit {limit_ms:g} ms</text>')  # fmt: skip
    for row, (name, pts) in enumerate(points.items()):
        colour = COLOURS.get(name, "#2c3e50")
        if pts:
            line = " ".join(f"{x(u):.1f},{y(m):.1f}" for u, m in pts)
            out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" '
                       'stroke-width="2"/>')  # fmt: skip
        for u, m in pts:
            out.append(
                f'<circle cx="{x(u):.1f}" cy="{y(m):.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(name)}: {u} users, p95 {m:g} ms</title></circle>"
            )
        out.append(f'<text x="{LEFT + 10}" y="{TOP + 16 + row * 16}" fill="{colour}">'
                   f'{escape(name)}</text>')  # fmt: skip
    out.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT - 12}" '
        'text-anchor="middle">concurrent users (log scale)</text></svg>'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
