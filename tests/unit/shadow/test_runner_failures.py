"""A comparison that fails inside the shadow service is counted, never left to the loop."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from proxy.shadow import ShadowService
from tests.unit.shadow.test_runner import LEGACY, REQUEST, route, service


def test_an_unmirrorable_target_is_skipped_at_submit_with_its_reason() -> None:
    r = route()
    sink = service(r)
    sink.submit(r, dataclasses.replace(REQUEST, raw_path="/api/rooms\xe9"), LEGACY)
    assert sink.outcomes.counts("r") == {
        "skipped": 1,
        "skipped:request target is not ASCII or UTF-8": 1,
    }


def test_a_failure_of_our_own_is_a_skip_not_an_unretrieved_task_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = route()
    sink = service(r)
    unhandled: list[dict[str, object]] = []

    async def broken(self: ShadowService, item: object) -> None:
        raise RuntimeError("a bug in the comparison")

    monkeypatch.setattr(ShadowService, "_compare", broken)

    async def scenario() -> dict[str, int]:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: unhandled.append(ctx))
        await sink.start()
        try:
            sink.submit(r, REQUEST, LEGACY)
            for _ in range(200):
                if sink.outcomes.counts("r").get("skipped"):
                    break
                await asyncio.sleep(0.01)
        finally:
            await sink.stop()
        return sink.outcomes.counts("r")

    counts = asyncio.run(scenario())
    assert counts["skipped:internal error: RuntimeError"] == 1
    assert unhandled == []
