"""Noise learning: fields that differ between two legacy answers are not mismatches."""

from __future__ import annotations

from proxy.config import ShadowSettings
from proxy.shadow.noise import is_reported, learning, noisy_fields

SETTINGS = ShadowSettings(min_noise_samples=20)


def counts(compared: int, diffs: dict[str, int], noise: dict[str, int], samples: int) -> dict:
    out = {"matched": compared, "noise_samples": samples}
    out.update({f"diff:{p}": n for p, n in diffs.items()})
    out.update({f"noise:{p}": n for p, n in noise.items()})
    return out


def test_a_field_changing_on_every_call_is_noise_and_not_reported() -> None:
    c = counts(1000, {"server_time": 1000}, {"server_time": 50}, 50)
    assert not is_reported("server_time", c, SETTINGS)
    [field] = noisy_fields(c, SETTINGS)
    assert field["path"] == "server_time" and field["treated_as_noise"] is True
    assert field["noise_rate"] == 1.0


def test_a_real_difference_beyond_the_noise_is_reported() -> None:
    c = counts(1000, {"name": 300}, {"name": 5}, 50)  # 30% vs 10% noise
    assert is_reported("name", c, SETTINGS)
    assert noisy_fields(c, SETTINGS)[0]["treated_as_noise"] is False


def test_both_thresholds_must_be_exceeded() -> None:
    relative_only = counts(100_000, {"a": 20}, {}, 1000)  # 0.02% > 0 but under 0.03% absolute
    assert not is_reported("a", relative_only, SETTINGS)
    absolute_only = counts(1000, {"a": 550}, {"a": 500}, 1000)  # +5 points, but only 1.1×
    assert not is_reported("a", absolute_only, SETTINGS)
    both = counts(1000, {"a": 650}, {"a": 500}, 1000)
    assert is_reported("a", both, SETTINGS)


def test_thresholds_are_configurable() -> None:
    lax = ShadowSettings(min_noise_samples=1, noise_relative=1.0, noise_absolute=0.2)
    c = counts(1000, {"a": 650}, {"a": 500}, 1000)
    assert not is_reported("a", c, lax)


def test_until_enough_noise_samples_everything_is_reported() -> None:
    c = counts(1000, {"server_time": 1000}, {"server_time": 19}, 19)
    assert learning(c, SETTINGS)
    assert is_reported("server_time", c, SETTINGS)
    assert learning(counts(10, {}, {}, 0), ShadowSettings(min_noise_samples=0))
