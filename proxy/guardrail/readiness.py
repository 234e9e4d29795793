"""Is a shadowed route ready to leave shadow? Read in one place, so it can be swapped.

Autopilot moves a route from shadow to its first canary step when the shadow
comparison says `ready_to_promote`. The rule itself belongs to the shadow package
(its evidence windows decide it); this function only reads it, with the figures
worth writing into the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proxy.exchange import ShadowSink

__all__ = ["ShadowReadiness", "shadow_readiness"]

ShadowReadiness = Callable[[str], Awaitable[tuple[bool, dict[str, object]]]]
"""route id → (ready, figures)."""

_FIGURES = (
    "compared",
    "matched",
    "mismatched",
    "match_rate",
    "match_rate_lower_bound",
    "ready_reason",
)


def shadow_readiness(sink: Callable[[], ShadowSink]) -> ShadowReadiness:
    """Readiness as the shadow sink in force reports it (`ready_to_promote`)."""

    async def ready(route_id: str) -> tuple[bool, dict[str, object]]:
        status = await sink().route_status(route_id)
        if not status:
            return False, {"ready_reason": "no shadow comparisons"}
        figures = {name: status[name] for name in _FIGURES if name in status}
        return bool(status.get("ready_to_promote")), figures

    return ready
