"""Prometheus text through prometheus-client, for every family the proxy exports.

The families are built at scrape time from the Redis-shared counts rather than kept in
prometheus-client's per-process registry, so every worker's scrape shows the whole
deployment. Each part (`proxy.admin.metrics`, `proxy.shadow.status`,
`proxy.guardrail.report`) provides collectors, declaring its families with `counter` and
`gauge` (and filling those that mirror a table of counts with `filled`); `exposition`
renders them with the library's own escaping and number format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "Families", "counter", "exposition", "filled", "gauge"]

Family = TypeVar("Family", CounterMetricFamily, GaugeMetricFamily)
Key = TypeVar("Key", bound=str | tuple[str, ...])

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


def counter(name: str, documentation: str, *labels: str) -> CounterMetricFamily:
    """An empty counter family labelled `labels` (prometheus-client adds `_total`)."""
    return CounterMetricFamily(name, documentation, labels=list(labels))


def gauge(name: str, documentation: str, *labels: str) -> GaugeMetricFamily:
    """An empty gauge family labelled `labels`."""
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def filled(family: Family, values: Mapping[Key, float]) -> Family:
    """`family` with one sample per entry of `values`, in key order; a key is the label
    value, or the tuple of label values in the family's label order."""
    for key in sorted(values):
        family.add_metric([key] if isinstance(key, str) else list(key), values[key])
    return family
