"""Small statistics: the Wilson score bound and percentiles of a latency sample.

A raw match rate over 30 comparisons says little; the lower bound of its 95% Wilson
interval is what `ready_to_promote` trusts, because it stays low until enough
evidence exists and never leaves [0, 1] (unlike the normal approximation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["Z_95", "percentile", "wilson_lower_bound"]

Z_95 = 1.959963984540054


def wilson_lower_bound(successes: int, trials: int, z: float = Z_95) -> float:
    """Lower end of the Wilson score interval for `successes` out of `trials` (0 if none)."""
    if trials <= 0:
        return 0.0
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be within 0..{trials}, got {successes}")
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - margin) / (1 + z2 / trials))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
