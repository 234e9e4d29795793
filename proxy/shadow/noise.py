"""Noise learning: which fields differ between two answers of legacy itself.

Some fields change on every call (a server time, a random order of ties, a counter
another user just bumped). For a sample of safe GETs the runner asks legacy twice
and counts, per folded field path, how often the two legacy answers differ. A path's
modern-vs-legacy differences are reported only when they clearly exceed that noise:

    diff_rate > noise_rate * (1 + noise_relative)  and  diff_rate - noise_rate > noise_absolute

Until `min_noise_samples` legacy-vs-legacy comparisons exist for a route, nothing is
treated as noise: every difference is reported (the status says `learning`), because
hiding a real regression is worse than a few early false alarms.
"""

from __future__ import annotations

from collections.abc import Mapping

from proxy.config.comparison import ShadowSettings

__all__ = [
    "COMPARED_FIELDS",
    "NOISE_SAMPLES",
    "compared",
    "diff_field",
    "is_reported",
    "learning",
    "noise_field",
    "noisy_fields",
]

NOISE_SAMPLES = "noise_samples"
COMPARED_FIELDS = ("matched", "mismatched", "intended")


def diff_field(path: str) -> str:
    return f"diff:{path}"


def noise_field(path: str) -> str:
    return f"noise:{path}"


def compared(counts: Mapping[str, int]) -> int:
    return sum(counts.get(name, 0) for name in COMPARED_FIELDS)


def learning(counts: Mapping[str, int], settings: ShadowSettings) -> bool:
    """True while too few legacy-vs-legacy samples exist to call any field noise."""
    samples = counts.get(NOISE_SAMPLES, 0)
    return samples == 0 or samples < settings.min_noise_samples


def is_reported(
    path: str, counts: Mapping[str, int], settings: ShadowSettings, *, pending: int = 0
) -> bool:
    """Whether a difference at `path` counts as a mismatch given the route's counts.

    `pending` is the number of comparisons being judged now and not yet in `counts`
    (their differences already are), so rates use a consistent denominator.
    """
    if learning(counts, settings):
        return True
    total = compared(counts) + pending
    if total <= 0:
        return True
    diff_rate = counts.get(diff_field(path), 0) / total
    noise_rate = counts.get(noise_field(path), 0) / counts[NOISE_SAMPLES]
    return (
        diff_rate > noise_rate * (1 + settings.noise_relative)
        and diff_rate - noise_rate > settings.noise_absolute
    )


def noisy_fields(counts: Mapping[str, int], settings: ShadowSettings) -> list[dict[str, object]]:
    """Paths seen differing between two legacy answers, with their rates and verdict."""
    samples = counts.get(NOISE_SAMPLES, 0)
    total = compared(counts)
    out: list[dict[str, object]] = []
    for name, count in counts.items():
        if not name.startswith("noise:") or count <= 0:
            continue
        path = name.removeprefix("noise:")
        out.append(
            {
                "path": path,
                "noise_rate": round(count / samples, 6) if samples else None,
                "diff_rate": round(counts.get(diff_field(path), 0) / total, 6) if total else None,
                "treated_as_noise": not is_reported(path, counts, settings),
            }
        )
    out.sort(key=lambda f: (-(f["noise_rate"] or 0), str(f["path"])))  # type: ignore[operator]  # a float or None
    return out
