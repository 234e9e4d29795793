"""Latency histograms fine enough to compare two p95s: log-spaced buckets.

`proxy.stats` keeps Prometheus-style buckets (0.5 ms … 10 s, each 2–2.5× the last):
good for dashboards, too coarse to tell a 2× slower modern from a 2.4× slower one.
Here every bucket is 15 % wider than the one before, from 0.1 ms to ~2 minutes, so a
percentile read from it is within ~7 % of the truth. Buckets are sparse (a dict of
index → count), so a route that answers in 3 ms stores a handful of fields.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping

__all__ = ["BOUNDS", "bucket_of", "quantile"]

_FIRST = 0.0001
_GROWTH = 1.15
BOUNDS: tuple[float, ...] = tuple(
    _FIRST * _GROWTH**i for i in range(math.ceil(math.log(120 / _FIRST) / math.log(_GROWTH)) + 1)
)
"""Upper bounds in seconds; index len(BOUNDS) holds anything slower."""


def bucket_of(seconds: float) -> int:
    return bisect.bisect_left(BOUNDS, seconds)


def quantile(counts: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0–1) in seconds, interpolated within its bucket; None when empty."""
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for index in sorted(counts):
        count = counts[index]
        if count <= 0:
            continue
        if seen + count >= rank:
            low = BOUNDS[index - 1] if 0 < index <= len(BOUNDS) else 0.0
            if index >= len(BOUNDS):
                return BOUNDS[-1]
            high = BOUNDS[index]
            return low + (high - low) * max(0.0, rank - seen) / count
        seen += count
    return BOUNDS[-1]
