"""Numbers for people: rounded, with units and thousands separators, `–` for absent.

One module so the overview, the route page and `strangler report` print a number the
same way.
"""

from __future__ import annotations

__all__ = ["count", "duration_ms", "percent", "ratio_percent"]

ABSENT = "–"


def count(value: float | int | None) -> str:
    """`12,345`; absent as `–`."""
    return ABSENT if value is None else f"{round(value):,}"


def percent(value: float | None, digits: int = 1) -> str:
    """A value already in percent: `42.5 %` (whole numbers lose the `.0`)."""
    if value is None:
        return ABSENT
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + " %"


def ratio_percent(value: float | None, digits: int = 1) -> str:
    """A 0–1 ratio shown in percent: 0.9876 → `98.8 %`."""
    return ABSENT if value is None else percent(100 * value, digits)


def duration_ms(value: float | None) -> str:
    """Milliseconds, rounded to what a person can read: `0.4 ms`, `243 ms`, `1.24 s`."""
    if value is None:
        return ABSENT
    if value >= 1000:
        return f"{value / 1000:,.2f} s"
    if value >= 10:
        return f"{value:,.0f} ms"
    return f"{value:.1f} ms"
