"""`/_strangler/metrics`: Prometheus text built from the shared counters.

The families are generated from a Redis snapshot at scrape time rather than kept
in prometheus-client's per-process registry, so with several workers every scrape
shows the whole deployment's totals, whichever worker answers. The shadow's and the
guardrail's families are collectors of the same kind (`proxy.shadow.status`,
`proxy.guardrail.report`), rendered by the same `proxy.exposition`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from proxy.config import STAGES
from proxy.exposition import CONTENT_TYPE, counter, exposition, filled, gauge
from proxy.stats import LATENCY_BUCKETS, Snapshot

if TYPE_CHECKING:
    from collections.abc import Iterable

    from proxy.health import ProbeResult
    from proxy.runtime import Runtime

BREAKER_STATES = ("closed", "open", "half_open")
SHARED_COUNTS = (  # the Snapshot field, its family, help and labels: a sample per key counted
    ("requests", "strangler_proxy_requests", "Requests proxied, by route and target.",
     ("route", "target")),
    ("errors", "strangler_proxy_errors", "Proxy errors answered (413, 502, 504, …).",
     ("route", "target", "code")),
    ("fallbacks", "strangler_proxy_fallbacks", "Modern failures served from legacy.", ("route",)),
    ("sticky_missing", "strangler_proxy_sticky_key_missing",
     "Canary requests without their sticky key, by what they got instead "
     "(ip: split by client address; legacy: served by legacy).", ("route", "then")),
    ("reloads", "strangler_proxy_reloads", "routes.yaml reloads by result.", ("result",)),
)  # fmt: skip

__all__ = ["CONTENT_TYPE", "render_metrics"]


class _SnapshotCollector(Collector):
    def __init__(self, snap: Snapshot, runtime: Runtime) -> None:
        self.snap = snap
        self.runtime = runtime

    def collect(self) -> Iterable[Metric]:
        snap = self.snap
        for field, name, documentation, labels in SHARED_COUNTS:
            yield filled(counter(name, documentation, *labels), getattr(snap, field))
        latency = HistogramMetricFamily(
            "strangler_proxy_request_duration_seconds",
            "Time from request to the last response byte.",
            labels=["route", "target"],
        )
        for (route, target), counts in sorted(snap.latency.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), counts, strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            latency.add_metric(
                [route, target], buckets, sum_value=snap.latency_sum.get((route, target), 0.0)
            )
        yield latency
        stages = gauge("strangler_proxy_routes", "Routes per migration stage.", "stage")
        config = self.runtime.table.config
        for stage in STAGES:
            stages.add_metric([stage], sum(1 for r in config.routes if r.stage == stage))
        yield stages
        info = gauge("strangler_proxy_config_info", "The routes.yaml revision in force.",
                     "revision")  # fmt: skip
        info.add_metric([self.runtime.table.loaded.revision], 1)
        yield info


class _ResilienceCollector(Collector):
    """Fallback's absorbed failures (shared counters), upstream health (the probe) and
    the breakers of the worker that answers the scrape (breakers are per worker)."""

    def __init__(self, snap: Snapshot, runtime: Runtime, health: dict[str, ProbeResult]) -> None:
        self.snap = snap
        self.runtime = runtime
        self.health = health

    def collect(self) -> Iterable[Metric]:
        yield filled(
            counter("strangler_proxy_absorbed_by_fallback",
                    "Upstream failures users never saw: fallback answered "
                    "(code: status or circuit_open).",
                    "route", "target", "code"),
            self.snap.absorbed,
        )  # fmt: skip
        yield filled(
            gauge("strangler_proxy_upstream_healthy",
                  "1 when the upstream's HTTP health probe got an answer below 500.", "upstream"),
            {name: 1 if result.ok else 0 for name, result in self.health.items()},
        )  # fmt: skip
        state = gauge(
            "strangler_proxy_circuit_breaker_state",
            "1 for the state the upstream's breaker is in, in the worker that answered.",
            "upstream", "state",
        )  # fmt: skip
        opened = counter(
            "strangler_proxy_circuit_breaker_opened",
            "Times the upstream's breaker opened, in the worker that answered.", "upstream",
        )  # fmt: skip
        upstreams = self.runtime.upstreams
        for name in sorted(upstreams.urls):
            breaker = upstreams.breaker(name)
            current = breaker.state
            for candidate in BREAKER_STATES:
                state.add_metric([name, candidate], 1 if candidate == current else 0)
            opened.add_metric([name], breaker.times_opened)
        yield state
        yield opened


async def render_metrics(runtime: Runtime) -> bytes:
    snap = await runtime.stats.snapshot()
    if snap.partial:
        # One worker's figures would make the counters step back between scrapes: no
        # scrape at all (503) is what Prometheus understands.
        raise ConnectionError("Redis did not answer: no shared totals to export")
    health = await runtime.upstreams.health_of(runtime.upstreams.urls)
    return exposition(
        _SnapshotCollector(snap, runtime), _ResilienceCollector(snap, runtime, health)
    )
