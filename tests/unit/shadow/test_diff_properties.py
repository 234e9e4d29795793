"""Properties of the differ over generated JSON: no false alarms, bounded pages accepted."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.config import CompareRules
from proxy.shadow import JsonDiffer

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)
items = st.lists(
    st.fixed_dictionaries({"name": st.text(max_size=5), "n": st.integers()}),
    max_size=12,
).map(lambda xs: [{"id": f"i{k}", **x} for k, x in enumerate(xs)])


@settings(max_examples=60, deadline=None, database=None)
@given(json_values)
def test_a_value_equals_its_copy(value: object) -> None:
    assert JsonDiffer(CompareRules()).diff(value, copy.deepcopy(value)) == []


@settings(max_examples=60, deadline=None, database=None)
@given(items, st.integers(min_value=1, max_value=12))
def test_every_head_and_tail_is_a_clean_bounded_page(legacy: list, size: int) -> None:
    page = min(size, len(legacy))
    prefix = JsonDiffer(CompareRules(lists="prefix"))
    suffix = JsonDiffer(CompareRules(lists="suffix"))
    subset = JsonDiffer(CompareRules(lists="subset"))
    if page:
        assert prefix.diff(legacy, legacy[:page]) == []
        assert suffix.diff(legacy, legacy[-page:]) == []
        assert subset.diff(legacy, legacy[-page:][::-1]) == []


@settings(max_examples=60, deadline=None, database=None)
@given(items.filter(lambda xs: len(xs) >= 2), st.data())
def test_changing_one_field_is_exactly_one_difference(legacy: list, data: st.DataObject) -> None:
    modern = copy.deepcopy(legacy)
    index = data.draw(st.integers(min_value=0, max_value=len(modern) - 1))
    modern[index]["n"] += 1
    [diff] = JsonDiffer(CompareRules()).diff(legacy, modern)
    assert (diff.kind, diff.path, diff.at) == ("changed", "[*].n", f"[{index}].n")
