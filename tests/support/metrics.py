"""Reading a Prometheus scrape in tests: by metric name and labels, whatever the order
the exposition writes the labels in or the number format it uses."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of sample `name` with exactly these labels, None when absent."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return None
