"""Shadow comparison: prove a route's modern answers match legacy's before it moves.

How an exchange flows through the package:

- `runner.ShadowService` is the `proxy.exchange.ShadowSink` the data path holds.
  `wants()` (stage, method, sample rate) and `submit()` (onto the route's bounded
  lane, `lanes.py`) are synchronous and never touch the network.
- A lane's dispatcher replays each exchange (`replay.py`) to modern or the isolated
  `shadow.upstream`, within the route's concurrency and timeout (runtime-adjustable:
  `controls.py`, served by `admin.py`); for a sample of GETs legacy is asked twice.
- `compare.py` compares status, allow-listed headers and the body (`decode.py`), the
  JSON body field by field (`diff.py`, path rules in `paths.py`), producing typed
  `Difference`s at folded paths such as `rooms[*].members[*].display_name`.
- `noise.py` decides whether a path's differences beat legacy's own noise; outcomes
  and per-path counts go to Redis in the background (`outcomes.py`), samples of
  redacted evidence too (`evidence.py`, `redact.py`).
- Every count goes to the route's lifetime totals and to its current evidence window
  (`windows.py`): a window starts afresh when the compare rules or modern's upstream
  change, when modern announces a new version, or on an admin's reset
  (`ShadowService.reset`, `POST …/shadow/reset`); closed windows stay readable.
- `status.py` turns the shared counts into `route_status()` (lifetime, window and
  recent evidence, Wilson bound from `proxy.statistics`, `ready_to_promote` at stage
  shadow only, noisy fields, latency) and Prometheus text. Readiness at every other
  stage is `proxy.readiness`.

Wiring (the proxy app): `create_app(shadow_factory=create_shadow,
admin_routes=shadow_admin_routes)`; the app starts and stops the sink in its
lifespan and appends `await sink.metrics()` (text built from the Redis counts) to
`/_strangler/metrics`.
"""

from __future__ import annotations

from proxy.exchange import ShadowDeps
from proxy.shadow.admin import shadow_admin_routes
from proxy.shadow.compare import Verdict, compare_responses
from proxy.shadow.diff import Difference, JsonDiffer
from proxy.shadow.redact import redact
from proxy.shadow.runner import ShadowService
from proxy.statistics import wilson_lower_bound

__all__ = [
    "Difference",
    "JsonDiffer",
    "ShadowService",
    "Verdict",
    "compare_responses",
    "create_shadow",
    "redact",
    "shadow_admin_routes",
    "wilson_lower_bound",
]


def create_shadow(deps: ShadowDeps) -> ShadowService:
    """The shadow sink for a proxy worker; call `start()` in the lifespan, `stop()` after."""
    return ShadowService(deps)
