"""A circuit breaker per upstream: stop waiting on an upstream that has stopped answering.

Without it, every request to a hung upstream waits its whole timeout; with it, after
`failures` consecutive requests that got no answer, the breaker opens and requests
are refused at once (a fallback route goes straight to legacy, other routes get a
fast 503). After `cooldown` seconds it half-opens: exactly one request is let through
as a probe; an answer closes the breaker, a failure opens it for another cool-down.

What counts: a failure is "no answer" (connection refused or dropped, an invalid
response, a timeout); an answer is any response head, a 5xx included, because an
upstream that answers 500 on one endpoint is alive and should not lose every route.
A request that ends for another reason (the client left, its body was too large)
says nothing about the upstream and only gives back a probe slot it held.

State is per worker process (no Redis round trip on the hot path): with N workers,
each opens after its own `failures` consecutive failures. The hot path only does
attribute reads and writes, never an await.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from proxy.config.resilience import BreakerSettings

__all__ = ["Breaker", "BreakerState"]

log = logging.getLogger("strangler.proxy")

BreakerState = Literal["closed", "open", "half_open"]


class Breaker:
    """The breaker of one upstream in one worker.

    Parameters:
        settings: failure threshold and cool-down (from routes.yaml).
        name: the upstream's name, for the log lines on opening and closing.
        clock: monotonic seconds; tests pass a fake one.
    """

    def __init__(
        self,
        settings: BreakerSettings,
        name: str = "upstream",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.name = name
        self._clock = clock
        self._state: BreakerState = "closed"
        self._failures = 0  # consecutive, since the last answer
        self._opened_at = 0.0
        self._probing = False  # half-open: the one probe request is in flight
        self.times_opened = 0
        self.refused = 0

    @property
    def state(self) -> BreakerState:
        """The state as the next request would find it (an expired cool-down reads
        as half-open even before a request arrives to probe)."""
        if self._state == "open" and self._cooled_down():
            return "half_open"
        return self._state

    def allow(self) -> bool:
        """May a request go to the upstream now? True obliges the caller to report
        `succeeded`, `failed` or `abandoned` exactly once."""
        if self.settings.failures == 0 or self._state == "closed":
            return True
        if self._state == "open" and self._cooled_down():
            self._state = "half_open"
        if self._state == "half_open" and not self._probing:
            self._probing = True
            return True
        self.refused += 1
        return False

    def succeeded(self) -> None:
        """The upstream answered: it is alive, whatever the status."""
        if self._state != "closed":
            log.warning("circuit breaker of %s closed: it answered again", self.name)
        self._failures = 0
        self._probing = False
        self._state = "closed"

    def failed(self) -> None:
        """The upstream gave no answer in time."""
        threshold = self.settings.failures
        if threshold == 0:
            return
        if self._state == "half_open":
            self._probing = False
            self._open()
            return
        self._failures += 1
        if self._state == "closed" and self._failures >= threshold:
            self._open()

    def abandoned(self) -> None:
        """The request ended for a reason that says nothing about the upstream."""
        if self._state == "half_open":
            self._probing = False  # the next request probes instead

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self._state != "open":
            return 0.0
        return max(0.0, self._opened_at + self.settings.cooldown - self._clock())

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "consecutive_failures": self._failures,
            "failure_threshold": self.settings.failures,
            "cooldown_s": self.settings.cooldown,
            "retry_in_s": round(self.retry_in(), 3),
            "times_opened": self.times_opened,
            "refused": self.refused,
        }

    def _open(self) -> None:
        if self._state == "closed":  # one line per outage, not one per failed probe
            log.warning(
                "circuit breaker of %s opened after %d consecutive failures; "
                "probing again every %g s",
                self.name,
                self._failures,
                self.settings.cooldown,
            )
        self._state = "open"
        self._opened_at = self._clock()
        self.times_opened += 1

    def _cooled_down(self) -> bool:
        return self._clock() - self._opened_at >= self.settings.cooldown
