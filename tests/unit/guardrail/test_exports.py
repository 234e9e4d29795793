"""The guardrail package's public surface is deliberate: this pins it."""

from __future__ import annotations

import proxy.guardrail


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(proxy.guardrail.__all__) == [
        "Guard", "Guardrail", "Position", "TICK", "Unguarded", "Verdict", "VerdictState",
        "fingerprint", "judge",
    ]  # fmt: skip
    for name in proxy.guardrail.__all__:
        assert hasattr(proxy.guardrail, name), name
