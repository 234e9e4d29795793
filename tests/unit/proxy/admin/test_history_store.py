"""The history store's bounds and the recorder's one-point-per-change rule (fakeredis)."""

from __future__ import annotations

import asyncio

import fakeredis
import pytest

from proxy.config import RoutesConfig
from proxy.history import HistoryRecorder, HistoryStore, record_event
from proxy.history import store as store_module
from proxy.history.figures import RouteFigures, interval_figures
from proxy.history.store import DOWNSAMPLE_AFTER
from proxy.stats import LATENCY_BUCKETS, Snapshot


def config(*routes: dict[str, object]) -> RoutesConfig:
    return RoutesConfig.model_validate(
        {"version": 1, "upstreams": {"legacy": {"url": "http://l"}, "modern": {"url": "http://m"}},
         "routes": list(routes)}
    )  # fmt: skip


def test_old_periodic_points_are_thinned_to_one_per_hour_changes_kept() -> None:
    async def scenario() -> None:
        store = HistoryStore(fakeredis.FakeAsyncRedis(), "t:")
        now = 10 * 86400.0
        old = now - DOWNSAMPLE_AFTER - 7200  # on an hour boundary: two whole hours
        for minute in range(0, 120, 5):  # two hours of 5-minute points, a week ago
            await store.add_point({"ts": old + minute * 60, "kind": "interval"})
        await store.add_point({"ts": old + 61, "kind": "config"})
        await store.add_point({"ts": now, "kind": "interval"})
        removed = await store.downsample(now)
        kinds = [p["kind"] for p in await store.points()]
        assert removed == 24 - 2  # 24 old points over 2 hours: the last of each stays
        assert kinds.count("config") == 1 and len(kinds) == 2 + 1 + 1
        light = await store.progress()
        assert [p["ts"] for p in light] == [p["ts"] for p in await store.points()]

    asyncio.run(scenario())


def test_points_and_events_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "MAX_POINTS", 5)
    monkeypatch.setattr(store_module, "MAX_EVENTS", 3)

    async def scenario() -> None:
        client = fakeredis.FakeAsyncRedis()
        store = HistoryStore(client, "t:")
        for i in range(8):
            await store.add_point({"ts": float(i), "kind": "interval"})
            await record_event(client, "t:", kind="note", reason=f"note {i}")
        assert [p["ts"] for p in await store.points()] == [3.0, 4.0, 5.0, 6.0, 7.0]
        assert [p["ts"] for p in await store.points(limit=2)] == [6.0, 7.0]
        assert [p["ts"] for p in await store.progress(limit=9)] == [3.0, 4.0, 5.0, 6.0, 7.0]
        assert [p["ts"] for p in await store.points(since=4.5, limit=9)] == [5.0, 6.0, 7.0]
        assert [e["reason"] for e in await store.events()] == ["note 5", "note 6", "note 7"]
        with pytest.raises(ValueError, match="unknown event kind"):
            await store.add_event(kind="party", reason="no")

    asyncio.run(scenario())


def test_one_point_per_change_across_workers_and_none_on_restart() -> None:
    async def scenario() -> None:
        client = fakeredis.FakeAsyncRedis()
        current = {"config": config({"id": "a", "path": "/a", "stage": "legacy"}), "rev": "r1"}

        async def stats() -> Snapshot:
            return Snapshot(window={"legacy": 3, "modern": 1})

        def worker() -> HistoryRecorder:
            return HistoryRecorder(HistoryStore(client, "t:"), stats=stats, interval=3600,
                                   current=lambda: (current["config"], current["rev"]))  # fmt: skip

        one, two = worker(), worker()
        await one.tick(now=100.0)
        await two.tick(now=100.5)
        current.update(config=config({"id": "a", "path": "/a", "stage": "shadow"}), rev="r2")
        await two.tick(now=200.0)
        await one.tick(now=200.5)
        await worker().tick(now=300.0)  # a restarted worker, nothing changed
        await one.tick(now=3700.0)  # the next interval
        await two.tick(now=3700.5)
        points = await HistoryStore(client, "t:").points()
        assert [(p["kind"], p["revision"]) for p in points] == [
            ("config", "r1"), ("config", "r2"), ("interval", "r2"),
        ]  # fmt: skip
        assert points[0]["percent_traffic"] == 25.0
        events = await HistoryStore(client, "t:").events(route="a")
        assert [(e["kind"], e["reason"]) for e in events] == [
            ("stage", "legacy → shadow (routes.yaml r2)")
        ]

    asyncio.run(scenario())


def test_interval_figures_are_the_difference_since_the_last_interval() -> None:
    buckets = [0] * (len(LATENCY_BUCKETS) + 1)
    fast, slow = list(buckets), list(buckets)
    fast[2] = 10  # 10 requests under 2.5 ms
    slow[2], slow[9] = 10, 10  # then 10 more, around half a second

    def snap(requests: int, errors: int, latency: list[int]) -> Snapshot:
        return Snapshot(
            requests={("r", "modern"): requests},
            errors={("r", "modern", "502"): errors} if errors else {},
            latency={("r", "modern"): latency},
        )

    async def scenario() -> None:
        figures = RouteFigures(fakeredis.FakeAsyncRedis(), "t:")
        assert await figures.record(snap(10, 0, fast), 1.0) == 1
        assert await figures.record(snap(10, 0, fast), 2.0) == 0  # no traffic: nothing stored
        assert await figures.record(snap(20, 5, slow), 3.0) == 1
        first, second = (entry["modern"] for entry in await figures.of("r"))
        assert first["requests"] == 10 and first["error_rate"] == 0 and first["p95"] < 3
        assert second["requests"] == 10 and second["error_rate"] == 0.5
        assert 250 < second["p95"] <= 500  # only the slow interval's requests count

    asyncio.run(scenario())
    now = {"r|legacy": {"requests": 3, "errors": 0, "latency": fast}}
    before = {"r|legacy": {"requests": 99, "errors": 0, "latency": slow}}
    reset = interval_figures(now, before)  # type: ignore[arg-type]
    assert reset["r"]["legacy"]["requests"] == 3  # counters went down: start again
