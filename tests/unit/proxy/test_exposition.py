"""Families declared with `counter`/`gauge` and filled from a table of counts render as
prometheus-client would render them built by hand: labels in order, samples by key."""

from __future__ import annotations

from proxy.exposition import Families, counter, exposition, filled, gauge
from tests.support.metrics import sample


def test_tuple_keys_become_labels_in_order_and_samples_come_sorted() -> None:
    family = filled(counter("things", "Things.", "route", "target"),
                    {("b", "modern"): 2, ("a", "legacy"): 3})  # fmt: skip
    text = exposition(Families([family])).decode()
    assert sample(text, "things_total", route="a", target="legacy") == 3
    assert sample(text, "things_total", route="b", target="modern") == 2
    assert text.index('route="a"') < text.index('route="b"')


def test_a_plain_key_is_the_one_label_value() -> None:
    text = exposition(Families([filled(gauge("up", "Up.", "upstream"), {"legacy": 1})])).decode()
    assert sample(text, "up", upstream="legacy") == 1
    assert "# TYPE up gauge" in text
