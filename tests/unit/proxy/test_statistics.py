"""The Wilson lower bound and percentiles."""

from __future__ import annotations

import pytest

from proxy.statistics import percentile, wilson_lower_bound


def test_wilson_known_values() -> None:
    # Reference values from the closed form (z = 1.96).
    assert wilson_lower_bound(500, 500) == pytest.approx(0.992376, abs=1e-5)
    assert wilson_lower_bound(495, 500) == pytest.approx(0.976807, abs=1e-5)
    assert wilson_lower_bound(8, 10) == pytest.approx(0.490162, abs=1e-5)
    assert wilson_lower_bound(0, 10) == 0.0
    assert wilson_lower_bound(0, 0) == 0.0


def test_wilson_needs_volume_to_reach_a_threshold() -> None:
    assert wilson_lower_bound(100, 100) < 0.99
    assert wilson_lower_bound(1000, 1000) > 0.99
    assert wilson_lower_bound(990, 1000) < 0.99 < 990 / 1000 + 0.001


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_lower_bound(11, 10)


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0], 50) == 1.5
    assert percentile(list(map(float, range(101))), 95) == 95.0
