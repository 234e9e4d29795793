"""The sink's synchronous side: what is mirrored, what is counted, nothing awaited."""

from __future__ import annotations

import asyncio

import fakeredis
import pytest

from proxy.config import Route, RoutesConfig
from proxy.exchange import CapturedRequest, CapturedResponse, ShadowDeps
from proxy.shadow import ShadowService


def route(**values: object) -> Route:
    return Route.model_validate({"id": "r", "path": "/api/rooms", "stage": "shadow", **values})


def table(*routes: Route) -> RoutesConfig:
    return RoutesConfig.model_validate(
        {
            "version": 1,
            "upstreams": {
                "legacy": {"url": "http://127.0.0.1:1"},
                "modern": {"url": "http://127.0.0.1:2"},
                "shadow-db": {"url": "http://127.0.0.1:3"},
            },
            "routes": [r.model_dump() for r in routes],
        }
    )


def service(*routes: Route, rng: float = 0.0) -> ShadowService:
    config = table(*routes)
    deps = ShadowDeps(
        routes=lambda: config,
        redis=fakeredis.FakeAsyncRedis(),
        key_prefix="t:",
        session=lambda name: pytest.fail("the data path must not call an upstream"),
        upstream_url=lambda name: "http://127.0.0.1:1",
    )
    return ShadowService(deps, rng=lambda: rng)


REQUEST = CapturedRequest("r", "GET", "/api/rooms", "", {}, (), b"", "rid")
LEGACY = CapturedResponse(200, (), b"[]", 0.01, "legacy")


@pytest.mark.parametrize(
    ("values", "method", "expected"),
    [
        ({"stage": "legacy"}, "GET", False),
        ({"stage": "shadow"}, "GET", True),
        ({"stage": "shadow"}, "HEAD", True),
        ({"stage": "modern"}, "GET", False),
        # A canary's legacy share is compared by default; the knob turns it off.
        ({"stage": "canary", "canary": {"percent": 10}}, "GET", True),
        (
            {"stage": "canary", "canary": {"percent": 10}, "shadow": {"during_canary": False}},
            "GET",
            False,
        ),
        ({"methods": ["GET", "POST"], "stage": "legacy"}, "POST", False),
        (
            {"methods": ["GET", "POST"], "shadow": {"upstream": "shadow-db"}},
            "POST",
            True,
        ),
        ({"path": "/ws/rooms/{room_id}", "websocket": True}, "GET", False),
    ],
)
def test_wants_by_stage_and_method(values: dict, method: str, expected: bool) -> None:
    r = route(**values)
    assert service(r).wants(r, method) is expected


def test_sampling_counts_sampled_out() -> None:
    r = route(shadow={"sample_rate": 0.25})
    assert service(r, rng=0.2).wants(r, "GET") is True
    sink = service(r, rng=0.3)
    assert sink.wants(r, "GET") is False
    assert sink.outcomes.counts("r") == {"sampled_out": 1}


def test_capture_limit_is_the_route_cap() -> None:
    r = route(shadow={"max_body_bytes": 1234})
    assert service(r).capture_limit(r) == 1234


def test_uncaptured_bodies_are_skipped_with_their_reason() -> None:
    r = route()
    sink = service(r)
    big = CapturedRequest(
        "r", "GET", "/", "", {}, (), None, "id", body_skipped="body over 10 bytes"
    )
    sink.submit(r, big, LEGACY)
    sink.submit(r, REQUEST, CapturedResponse(200, (), None, 0.1, "legacy"))
    assert sink.outcomes.counts("r") == {
        "skipped": 2,
        "skipped:body over 10 bytes": 1,
        "skipped:legacy body over 1048576 bytes": 1,
    }


def test_submit_before_start_drops() -> None:
    r = route()
    sink = service(r)
    sink.submit(r, REQUEST, LEGACY)
    assert sink.outcomes.counts("r") == {"dropped": 1}


def test_counts_reach_redis_on_flush() -> None:
    r = route(shadow={"sample_rate": 0.5})
    sink = service(r, rng=0.9)

    async def scenario() -> dict[str, object] | None:
        for _ in range(3):
            sink.wants(r, "GET")
        return await sink.route_status("r")

    status = asyncio.run(scenario())
    assert status is not None
    assert status["sampled_out"] == 3 and status["compared"] == 0
    assert status["ready_to_promote"] is False
    assert status["settings"]["sample_rate"] == 0.5  # type: ignore[index]


def test_a_canary_answered_by_modern_is_skipped() -> None:
    r = route(stage="canary", canary={"percent": 50}, shadow={"during_canary": True})
    sink = service(r)
    sink.submit(r, REQUEST, CapturedResponse(200, (), b"[]", 0.01, "modern"))
    assert sink.outcomes.counts("r") == {"skipped": 1, "skipped:answered by modern": 1}
