"""The package's public surface is what `__all__` says, and both sinks honour the protocol."""

from __future__ import annotations

import inspect

import pytest

import proxy.shadow
from proxy.exchange import NoShadow, ShadowSink
from proxy.shadow import ShadowService


def test_exported_members_exist() -> None:
    for name in proxy.shadow.__all__:
        assert hasattr(proxy.shadow, name), name
    assert "create_shadow" in proxy.shadow.__all__


@pytest.mark.parametrize("sink", [ShadowService, NoShadow])
def test_every_sink_implements_every_method_with_the_same_kind(sink: type) -> None:
    for name, member in inspect.getmembers(ShadowSink, inspect.isfunction):
        if name.startswith("_"):
            continue
        ours = getattr(sink, name)
        assert inspect.iscoroutinefunction(ours) == inspect.iscoroutinefunction(member), name
        assert list(inspect.signature(ours).parameters) == list(
            inspect.signature(member).parameters
        ), name
