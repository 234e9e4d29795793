"""Prometheus text through prometheus-client, for every family the proxy exports.

The families are built at scrape time from the Redis-shared counts rather than kept in
prometheus-client's per-process registry, so every worker's scrape shows the whole
deployment. Each part (`proxy.admin.metrics`, `proxy.shadow.status`,
`proxy.guardrail.report`) provides collectors; `exposition` renders them with the
library's own escaping and number format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "Families", "exposition"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Families(Collector):
    """Families built beforehand: for the parts whose figures are read with awaits
    (a collector's `collect` cannot await)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def exposition(*collectors: Collector) -> bytes:
    """The text format of what `collectors` yield, in their order."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)
