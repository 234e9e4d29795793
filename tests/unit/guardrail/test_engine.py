"""Two workers' guardrails on one (fake) Redis: one trip, both serve legacy, edits lift it.

fakeredis stands in for the server here, so the compare-and-set is exercised without
the network; the integration tests run the same on real Redis with real workers.
"""

from __future__ import annotations

import asyncio
import time

import fakeredis

from proxy.config import parse_routes
from proxy.guardrail import Guardrail
from proxy.routing import RouteTable
from tests.unit.proxy.samples import ROUTES_HEAD

ROUTES = (
    ROUTES_HEAD
    + """\
  - {id: a, path: /a, stage: canary, canary: {percent: 50},
     analysis: {interval: 5, min_requests: 10}}
  - {id: b, path: /b, stage: legacy}
"""
)


async def _not_ready(route_id: str) -> tuple[bool, dict[str, object]]:
    return False, {}


def test_two_workers_trip_once_and_both_serve_legacy_until_the_route_changes() -> None:
    async def scenario() -> None:
        server = fakeredis.FakeServer()
        tables = [RouteTable(parse_routes(ROUTES))]
        workers = [
            Guardrail(fakeredis.FakeAsyncRedis(server=server), "t:", lambda: tables[0], _not_ready)
            for _ in range(2)
        ]
        route = tables[0].by_id["a"]
        for worker in workers:
            for n in range(30):
                worker.observe(route, "modern", failed=n % 3 == 0, elapsed=0.01)
                worker.observe(route, "legacy", failed=False, elapsed=0.01)
            worker.observe(tables[0].by_id["b"], "legacy", failed=True, elapsed=0.01)
            await worker.windows.flush(worker.recorder)
        await asyncio.gather(*(worker.tick() for worker in workers))
        history = await workers[0].store.history("a")
        assert [entry["event"] for entry in history] == ["trip"]
        assert history[0]["figures"]["modern"] == {  # both workers' counts, summed
            "requests": 60, "errors": 20, "error_rate": 0.3333,
            "p95_ms": history[0]["figures"]["modern"]["p95_ms"],
            "p99_ms": history[0]["figures"]["modern"]["p99_ms"],
        }  # fmt: skip
        await asyncio.gather(*(worker.refresh() for worker in workers))
        assert [w.effective(route).stage for w in workers] == ["legacy", "legacy"]
        assert [w.trips("a") for w in workers] == [1, 1]
        assert workers[1].verdict("a") == "failing" and workers[1].verdict("b") == "insufficient"

        time.sleep(0.01)  # the edited file is loaded after the trip
        tables[0] = RouteTable(parse_routes(ROUTES.replace("percent: 50", "percent: 40")))
        for worker in workers:
            worker.rebuild(tables[0])
        edited = tables[0].by_id["a"]
        assert workers[0].effective(edited) is edited, "a newer file is served at once"
        await asyncio.gather(*(worker.tick() for worker in workers))
        events = [entry["event"] for entry in await workers[0].store.history("a")]
        assert events == ["trip", "lifted"]

    asyncio.run(scenario())
