"""The routes.yaml schema of canary analysis, the guardrail and autopilot.

The vocabulary is Flagger's (`interval`, `min_requests`, thresholds), so a team that
knows automated canary analysis reads a route's block without a manual. Every field
has a default: a canary route is watched and protected without writing anything.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from proxy.config.base import StrictModel as _Strict

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_STEPS",
    "Analysis",
    "Autopilot",
    "GuardrailMode",
    "parse_mode",
]

DEFAULT_INTERVAL = 60.0
DEFAULT_MIN_REQUESTS = 50
DEFAULT_MAX_ERROR_RATE = 0.05
DEFAULT_MAX_ERROR_RATE_DELTA = 0.02
DEFAULT_MAX_LATENCY_RATIO = 2.0
DEFAULT_LATENCY_MARGIN_MS = 10.0
DEFAULT_STEPS: tuple[float, ...] = (1.0, 5.0, 25.0, 50.0, 100.0)

GuardrailMode = Literal["on", "dry-run", "off"]


def parse_mode(value: object) -> object:
    """YAML 1.1 reads a bare `on`/`off` as a boolean: take it back as the word."""
    if value is True:
        return "on"
    if value is False:
        return "off"
    return value


class Analysis(_Strict):
    """How a canary's modern is judged against legacy on the same route.

    Parameters:
        interval: seconds of the sliding window, and how long an autopilot step is
            held; the window is re-read about four times per interval.
        min_requests: modern requests the window needs before any verdict
            (below it: `insufficient`).
        max_error_rate: modern's share of failed requests (5xx, timeouts, connection
            failures, counted before fallback) that fails the canary.
        max_error_rate_delta: how far modern's error rate may exceed legacy's.
        max_latency_ratio: modern's p95 (and p99, given 100 requests on each side)
            over legacy's that fails the canary.
        latency_margin_ms: modern may always be this much slower than legacy, whatever
            the ratio (on a 1 ms endpoint, timer noise alone doubles a p95).
    """

    interval: Annotated[float, Field(gt=0, le=3600)] = DEFAULT_INTERVAL
    min_requests: Annotated[int, Field(ge=1, le=1_000_000)] = DEFAULT_MIN_REQUESTS
    max_error_rate: Annotated[float, Field(ge=0, le=1)] = DEFAULT_MAX_ERROR_RATE
    max_error_rate_delta: Annotated[float, Field(ge=0, le=1)] = DEFAULT_MAX_ERROR_RATE_DELTA
    max_latency_ratio: Annotated[float, Field(ge=1, le=1000)] = DEFAULT_MAX_LATENCY_RATIO
    latency_margin_ms: Annotated[float, Field(ge=0, le=600_000)] = DEFAULT_LATENCY_MARGIN_MS

    @field_validator(
        "interval",
        "max_error_rate",
        "max_error_rate_delta",
        "max_latency_ratio",
        "latency_margin_ms",
        mode="before",
    )
    @classmethod
    def _float(cls, value: object) -> object:
        # Strict mode refuses `interval: 2`; an integer is a perfectly good float here.
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Autopilot(_Strict):
    """Promotion on evidence, opt-in per route: shadow until ready, canary steps, modern.

    Parameters:
        steps: canary percents, strictly increasing, each held for `analysis.interval`
            with the analysis healthy before the next; after the last comes `modern`.
        sticky, key: the split's sticky key when the route has no `canary:` block
            of its own (same meaning as there).
    """

    steps: list[Annotated[float, Field(gt=0, le=100)]] = list(DEFAULT_STEPS)
    sticky: Literal["user", "cookie", "ip", "header", "path_param"] = "user"
    key: str | None = None

    @field_validator("steps", mode="before")
    @classmethod
    def _floats(cls, value: object) -> object:
        if isinstance(value, list):
            return [
                float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value
            ]
        return value

    @model_validator(mode="after")
    def _check(self) -> Autopilot:
        if not self.steps:
            raise ValueError("autopilot.steps needs at least one percent")
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError("autopilot.steps must increase strictly")
        if any(round(s * 100) != round(s * 100, 6) for s in self.steps):
            raise ValueError("autopilot.steps have a resolution of 0.01")
        if self.sticky in ("cookie", "header", "path_param") and not self.key:
            raise ValueError(f"autopilot.sticky {self.sticky!r} needs autopilot.key (its name)")
        return self
