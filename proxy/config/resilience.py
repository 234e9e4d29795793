"""How the proxy tells a hung upstream from a slow one: breaker and health-check settings.

Both live under an upstream in routes.yaml (`upstreams: {modern: {url: …, breaker:
{…}, health: {…}}}`); every field has a default, so a table that names neither
keeps working unchanged.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from proxy.config.base import StrictModel

__all__ = [
    "DEFAULT_BREAKER_COOLDOWN",
    "DEFAULT_BREAKER_FAILURES",
    "DEFAULT_FALLBACK_BUDGET",
    "DEFAULT_HEALTH_PATH",
    "DEFAULT_HEALTH_TIMEOUT",
    "BreakerSettings",
    "HealthCheck",
]

DEFAULT_BREAKER_FAILURES = 5
DEFAULT_BREAKER_COOLDOWN = 5.0
DEFAULT_HEALTH_PATH = "/healthz"
DEFAULT_HEALTH_TIMEOUT = 0.5
DEFAULT_FALLBACK_BUDGET = 0.5
"""Share of a fallback route's deadline modern may use before legacy is asked."""


class BreakerSettings(StrictModel):
    """The circuit breaker of one upstream (one per proxy worker).

    Parameters:
        failures: consecutive requests that got no answer (connection refused or
            dropped, invalid response, timeout) before the breaker opens; 0 turns
            the breaker off.
        cooldown: seconds an open breaker refuses requests before it lets one
            probe request through (half-open).
    """

    failures: Annotated[int, Field(ge=0, le=10_000)] = DEFAULT_BREAKER_FAILURES
    cooldown: Annotated[float, Field(gt=0, le=3600)] = DEFAULT_BREAKER_COOLDOWN


class HealthCheck(StrictModel):
    """The HTTP probe behind `readyz` and the status API's upstream health.

    Parameters:
        path: requested with GET; any answer below 500 (a 404 included) means the
            upstream's HTTP server is alive, a 5xx, a hang or no connection means down.
        timeout: seconds the whole probe may take.
    """

    path: str = DEFAULT_HEALTH_PATH
    timeout: Annotated[float, Field(gt=0, le=60)] = DEFAULT_HEALTH_TIMEOUT

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: str) -> str:
        if not path.startswith("/") or any(c.isspace() or ord(c) < 33 for c in path):
            raise ValueError(f"health.path must start with '/' and have no spaces, got {path!r}")
        return path
