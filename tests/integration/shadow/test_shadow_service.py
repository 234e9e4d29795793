"""The shadow service against real upstreams and Redis: divergences, bounds, safety, load."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from proxy.exchange import CapturedRequest
from proxy.shadow.controls import ShadowOverride
from strangler.embedded_db import free_port
from tests.integration.shadow.conftest import Harness, RunShadow, legacy_and_modern, stats

pytestmark = pytest.mark.redis

ROUTES = [
    {"id": "list-rooms", "path": "/api/rooms", "stage": "shadow"},
    {
        "id": "list-users",
        "path": "/api/users",
        "stage": "shadow",
        "compare": {"lists": "prefix"},
    },
    {
        "id": "list-messages",
        "path": "/api/rooms/{room_id}/messages",
        "stage": "shadow",
        "compare": {"lists": "suffix"},
    },
]


def rooms_shadowed(**shadow: object) -> list[dict[str, object]]:
    """A table of one route, GET /api/rooms in shadow, with these `shadow:` settings."""
    return [{"id": "list-rooms", "path": "/api/rooms", "stage": "shadow", "shadow": shadow}]


def test_an_identical_modern_matches_with_bounded_lists(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    urls = legacy_and_modern(upstream)

    async def scenario(h: Harness) -> None:
        await h.mirror("list-rooms", "GET", "/api/rooms", times=3)
        await h.mirror("list-users", "GET", "/api/users", times=3)
        await h.mirror("list-messages", "GET", "/api/rooms/r1/messages", times=3)
        for route_id in ("list-rooms", "list-users", "list-messages"):
            status = await h.settle(route_id, lambda s: s["compared"] == 3)
            assert status["matched"] == 3, status
            assert status["mismatched"] == 0 and status["fields"] == []
            assert status["match_rate"] == 1.0
            assert status["latency"]["modern"]["samples"] == 3
        assert await h.sink.diffs("list-users") == []
        seen = await stats(h.session, urls["modern"])
        assert seen["shadow-header"] == 9

    run_shadow(urls, ROUTES, scenario)


@pytest.mark.parametrize(
    ("divergence", "kind", "path", "at"),
    [
        ("changed", "changed", "[*].members[*].display_name", "[1].members[2].display_name"),
        ("missing", "missing", "[*].topic", "[0].topic"),
        ("reordered", "order", "$", "$"),
        ("status", "status", "@status", "@status"),
    ],
)
def test_each_divergence_is_caught_with_its_kind_and_path(
    upstream: Callable[..., str],
    run_shadow: RunShadow,
    divergence: str,
    kind: str,
    path: str,
    at: str,
) -> None:
    async def scenario(h: Harness) -> None:
        await h.mirror("list-rooms", "GET", "/api/rooms", times=2)
        status = await h.settle("list-rooms", lambda s: s["compared"] == 2)
        assert status["mismatched"] == 2 and status["matched"] == 0
        assert status["fields"][0]["path"] == path
        assert status["fields"][0]["kinds"] == [kind]
        samples = await h.sink.diffs("list-rooms")
        assert {(s["kind"], s["path"]) for s in samples} == {(kind, path)}
        assert at in {s["at"] for s in samples}
        assert samples[0]["request"]["path"] == "/api/rooms"
        assert "user-token-123" not in repr(samples)

    run_shadow(legacy_and_modern(upstream, divergence), ROUTES[:1], scenario)


def test_a_bounded_list_without_its_rule_is_a_mismatch(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    routes = [{"id": "list-users", "path": "/api/users", "stage": "shadow"}]

    async def scenario(h: Harness) -> None:
        await h.mirror("list-users", "GET", "/api/users")
        status = await h.settle("list-users", lambda s: s["compared"] == 1)
        assert status["mismatched"] == 1
        assert {f["path"] for f in status["fields"]} == {"[*]"}

    run_shadow(legacy_and_modern(upstream), routes, scenario)


def test_noise_learning_hides_a_field_legacy_itself_changes(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    routes = [
        {
            "id": "clock",
            "path": "/api/clock",
            "stage": "shadow",
            "shadow": {"noise_rate": 1.0, "min_noise_samples": 5, "concurrency": 1},
        }
    ]

    async def scenario(h: Harness) -> None:
        await h.mirror("clock", "GET", "/api/clock", times=20)
        status = await h.settle("clock", lambda s: s["compared"] == 20)
        assert status["noise"]["samples"] == 20 and not status["noise"]["learning"]
        [noisy] = status["noisy_fields"]
        assert noisy["path"] == "now" and noisy["treated_as_noise"] is True
        assert [f["reported"] for f in status["fields"] if f["path"] == "now"] == [False]
        # Only the comparisons judged while learning count as mismatches.
        assert status["mismatched"] <= 5 and status["matched"] >= 15

    run_shadow(legacy_and_modern(upstream), routes, scenario)


def test_unsafe_requests_never_reach_the_primary_modern(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    urls = {
        **legacy_and_modern(upstream, SHADOW_INSTANCE="counting"),
        "shadow-db": upstream("modern", "none", SHADOW_INSTANCE="isolated"),
    }
    routes = [
        {
            "id": "rooms",
            "path": "/api/rooms",
            "methods": ["GET", "POST"],
            "stage": "shadow",
            "shadow": {"upstream": "shadow-db"},
        },
        {"id": "rooms-get", "path": "/api/rooms/{room_id}/messages", "stage": "shadow"},
    ]

    async def scenario(h: Harness) -> None:
        request, answer = await h.capture("rooms", "POST", "/api/rooms", body=b'{"name": "x"}')
        route = h.config.route("rooms")
        assert route is not None and h.sink.wants(route, "POST")
        h.sink.submit(route, request, answer)
        # A data path that wrongly submits a POST on a GET-only route is refused too.
        get_only = h.config.route("rooms-get")
        assert get_only is not None and not h.sink.wants(get_only, "POST")
        h.sink.submit(get_only, request, answer)
        await h.settle("rooms", lambda s: s["compared"] == 1)
        refused = await h.settle("rooms-get", lambda s: s["skipped"] == 1)
        assert list(refused["skipped_reasons"]) == [
            "unsafe method never mirrored to the primary modern"
        ]
        assert (await stats(h.session, urls["shadow-db"])).get("POST /api/rooms") == 1
        assert "POST /api/rooms" not in await stats(h.session, urls["modern"])

    run_shadow(urls, routes, scenario)


def test_a_full_queue_drops_and_counts(upstream: Callable[..., str], run_shadow: RunShadow) -> None:
    async def scenario(h: Harness) -> None:
        route, request, answer = await h.capture_on("list-rooms", "GET", "/api/rooms")
        for _ in range(10):  # no await between submits: the lane cannot drain
            h.sink.submit(route, request, answer)
        status = await h.settle("list-rooms", lambda s: s["compared"] == 2)
        assert status["dropped"] == 8 and status["matched"] == 2

    run_shadow(legacy_and_modern(upstream), rooms_shadowed(queue_size=2, concurrency=1), scenario)


def test_a_slow_modern_counts_timeouts_and_submit_never_waits(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    urls = legacy_and_modern(upstream, "slow")

    async def scenario(h: Harness) -> None:
        route, request, answer = await h.capture_on("list-rooms", "GET", "/api/rooms")
        results = [h.sink.submit(route, request, answer) for _ in range(4)]
        # submit is synchronous: it returned before modern could even be called.
        assert results == [None] * 4
        assert "GET /api/rooms" not in await stats(h.session, urls["modern"])
        status = await h.settle("list-rooms", lambda s: s["timeout"] == 4)
        assert status["compared"] == 0 and status["ready_to_promote"] is False

    run_shadow(urls, rooms_shadowed(timeout=0.3, concurrency=4), scenario)


def test_an_unreachable_modern_counts_errors(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    urls = {"legacy": upstream("legacy"), "modern": f"http://127.0.0.1:{free_port()}"}

    async def scenario(h: Harness) -> None:
        await h.mirror("list-rooms", "GET", "/api/rooms", times=2)
        status = await h.settle("list-rooms", lambda s: s["modern_error"] == 2)
        assert status["compared"] == 0

    run_shadow(urls, ROUTES[:1], scenario)


def test_body_over_the_cap_is_skipped_with_its_reason(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    async def scenario(h: Harness) -> None:
        route, request, answer = await h.capture_on("list-rooms", "GET", "/api/rooms")
        h.sink.submit(route, request, answer)  # legacy's body was captured whole here
        status = await h.settle("list-rooms", lambda s: s["skipped"] == 1)
        assert status["skipped_reasons"] == {"modern body over 64 bytes": 1}
        uncaptured = CapturedRequest(
            "list-rooms", "GET", "/api/rooms", "", {}, (), None, "r", body_skipped="too big"
        )
        h.sink.submit(route, uncaptured, answer)
        status = await h.settle("list-rooms", lambda s: s["skipped"] == 2)
        assert status["skipped_reasons"]["too big"] == 1

    run_shadow(legacy_and_modern(upstream), rooms_shadowed(max_body_bytes=64), scenario)


def test_concurrency_is_capped_per_route_and_adjustable_at_runtime(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    urls = legacy_and_modern(upstream, "slow", SHADOW_SLOW_SECONDS="0.3")

    async def scenario(h: Harness) -> None:
        route, request, answer = await h.capture_on("list-rooms", "GET", "/api/rooms")
        for _ in range(6):  # all queued at once: only the cap limits the overlap
            h.sink.submit(route, request, answer)
        await h.settle("list-rooms", lambda s: s["compared"] == 6)
        assert (await stats(h.session, urls["modern"]))["max-in-flight"] == 2
        await h.sink.overrides.apply("list-rooms", ShadowOverride(concurrency=3))
        for _ in range(6):
            h.sink.submit(route, request, answer)
        status = await h.settle("list-rooms", lambda s: s["compared"] == 12)
        assert (await stats(h.session, urls["modern"]))["max-in-flight"] == 3
        assert status["settings"]["concurrency"] == 3

    run_shadow(urls, rooms_shadowed(concurrency=2), scenario)


@pytest.mark.parametrize("recheck", [True, False])
def test_data_that_moved_between_the_reads_is_rechecked_not_blamed_on_modern(
    upstream: Callable[..., str], run_shadow: RunShadow, recheck: bool
) -> None:
    """The user got legacy's answer from before a write; modern, asked later, saw the
    write. Asked again, legacy agrees with modern: the recheck clears it."""
    urls = legacy_and_modern(upstream)

    async def scenario(h: Harness) -> None:
        route, request, answer = await h.capture_on("list-rooms", "GET", "/api/rooms")
        asked = (await stats(h.session, urls["legacy"]))["shadow-header"]
        rooms = json.loads(answer.body)
        rooms[0]["message_count"] -= 1  # as it was before the latest post
        before_the_write = dataclasses.replace(answer, body=json.dumps(rooms).encode())
        h.sink.submit(route, request, before_the_write)
        status = await h.settle("list-rooms", lambda s: s["compared"] == 1)
        if recheck:
            assert status["matched"] == 1 and status["mismatched"] == 0, status
            assert status["recheck"] == {"rechecked": 1, "cleared": 1}
        else:
            assert status["mismatched"] == 1 and status["recheck"]["rechecked"] == 0
        again = (await stats(h.session, urls["legacy"]))["shadow-header"] - asked
        assert again == int(recheck)  # legacy is asked again only to recheck

    # noise_rate=0: legacy is asked a second time only to recheck.
    run_shadow(urls, rooms_shadowed(recheck=recheck, noise_rate=0), scenario)


def test_a_real_divergence_survives_the_recheck(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    async def scenario(h: Harness) -> None:
        await h.mirror("list-rooms", "GET", "/api/rooms", times=2)
        status = await h.settle("list-rooms", lambda s: s["compared"] == 2)
        assert status["mismatched"] == 2
        assert status["recheck"] == {"rechecked": 2, "cleared": 0}

    run_shadow(legacy_and_modern(upstream, "changed"), rooms_shadowed(), scenario)


def test_a_request_that_cannot_be_mirrored_faithfully_is_skipped_with_its_reason(
    upstream: Callable[..., str], run_shadow: RunShadow
) -> None:
    """Never an exception in a background task, never a mirror of another request."""
    urls = legacy_and_modern(upstream)

    async def scenario(h: Harness) -> None:
        route, request, answer = await h.capture_on("list-rooms", "GET", "/api/rooms")
        before = (await stats(h.session, urls["modern"])).get("GET /api/rooms", 0)
        # A byte no UTF-8 request line can carry (uvicorn refuses it; other servers may not).
        latin1 = dataclasses.replace(request, raw_path="/api/rooms\xe9")
        h.sink.submit(route, latin1, answer)
        status = await h.settle("list-rooms", lambda s: s["skipped"] == 1)
        assert status["skipped_reasons"] == {"request target is not ASCII or UTF-8": 1}
        # A header value the client library refuses to write fails that exchange
        # (counted), not the task that ran it.
        broken = dataclasses.replace(request, headers=(("x-broken", "a\r\nInjected: 1"),))
        h.sink.submit(route, broken, answer)
        status = await h.settle("list-rooms", lambda s: s["modern_error"] == 1)
        assert status["compared"] == 0
        assert (await stats(h.session, urls["modern"])).get("GET /api/rooms", 0) == before

    run_shadow(urls, ROUTES[:1], scenario)
