"""The guardrail on a 2-worker proxy: a canary that goes bad is sent back to legacy.

One proxy (two uvicorn workers, real Redis) over the foreign app pair serves the
whole story in order, because starting one costs seconds: four canary routes at
50 % run healthy under steady traffic; then modern starts failing every 5th request
on three of them and answers 3× slower on the fourth. Within one analysis interval
each route is back on legacy — with fallback no user request fails, without it the
failures stop — and the override shows in status, metrics and `strangler status`,
is recorded once, survives a restart, is lifted by `strangler override clear` and
by an edit of the route in routes.yaml. A route in dry-run is only reported.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import redis

from strangler.cli import main
from tests.integration.guardrail.conftest import (
    StartProxy,
    control,
    status_routes,
    wait_for,
)
from tests.integration.guardrail.traffic import Traffic
from tests.integration.proxy.conftest import Upstreams, routes_yaml

pytestmark = pytest.mark.redis

INTERVAL = 2.0
ANALYSIS = f"analysis: {{interval: {INTERVAL:g}, min_requests: 10}}"
CANARY = "canary: {percent: 50, sticky: header, key: x-client}"
ROUTES = f"""\
  - {{id: items, path: /api/items, stage: canary, {CANARY}, fallback: legacy, {ANALYSIS}}}
  - {{id: plain, path: /api/plain, stage: canary, {CANARY}, {ANALYSIS}}}
  - {{id: sluggish, path: /api/sluggish, stage: canary, {CANARY}, fallback: legacy, {ANALYSIS}}}
  - {{id: watched, path: /api/watched, stage: canary, {CANARY}, fallback: legacy, {ANALYSIS},
      guardrail: dry-run}}
"""
TRIPPED = ("items", "plain", "sluggish")


def test_a_failing_canary_goes_back_to_legacy_and_stays_there_until_cleared(
    pair: Upstreams,
    start_proxy: StartProxy,
    redis_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = routes_yaml(pair.legacy.url, pair.modern.url, ROUTES)
    http = httpx.Client(timeout=10)
    paths = ["/api/items", "/api/plain", "/api/sluggish", "/api/watched"]
    with start_proxy(text) as proxy:
        with Traffic(proxy.url, paths) as traffic:
            healthy = wait_for(lambda: _all_healthy(http, proxy.url), timeout=15)
            assert healthy
            assert {a.upstream for a in traffic.of("/api/items")} == {"legacy", "modern"}
            broke_at = time.monotonic()
            for path in ("/api/items", "/api/plain", "/api/watched"):
                control(pair.modern.url, path, fail_every=5)
            control(pair.modern.url, "/api/sluggish", slow=3)
            wait_for(lambda: _tripped(http, proxy.url), timeout=15)
            tripped_at = time.monotonic()
            time.sleep(1.0)  # every worker has long refreshed its snapshot by now
            settled = time.monotonic()
            time.sleep(1.0)
        routes = status_routes(http, proxy.url)
        with capsys.disabled():  # the figures, for whoever reads the run
            the_trip_came_within_an_interval(traffic, broke_at, tripped_at)
        users_never_saw_a_failure_with_fallback(traffic)
        legacy_serves_everything_once_tripped(traffic, settled)
        the_override_shows_everywhere(routes, http, proxy.url, capsys)
        each_trip_was_decided_once(redis_env, proxy.url, capsys)
        dry_run_only_reports(routes, traffic, settled)
    with start_proxy(text) as proxy:
        routes = status_routes(http, proxy.url)
        assert routes["items"]["effective"]["by"] == "guardrail", "the override survives"
        served = {http.get(proxy.url + "/api/items", headers={"x-client": f"c{n}"}).headers[
            "x-upstream"] for n in range(40)}  # fmt: skip
        assert served == {"legacy"}
        an_admin_clears_the_override(pair, http, proxy.url, capsys)
        editing_the_route_lifts_its_override(http, proxy, text)


def _all_healthy(http: httpx.Client, url: str) -> bool:
    routes = status_routes(http, url)
    return all(routes[r]["analysis"]["verdict"] == "healthy" for r in (*TRIPPED, "watched"))


def _tripped(http: httpx.Client, url: str) -> bool:
    routes = status_routes(http, url)
    return all(routes[r]["effective"]["by"] == "guardrail" for r in TRIPPED)


def the_trip_came_within_an_interval(traffic: Traffic, broke_at: float, tripped: float) -> None:
    failures = [a for a in traffic.of("/api/plain", broke_at) if a.status >= 500]
    assert failures, "modern's failures reached the route without fallback"
    span = failures[-1].at - broke_at
    print(f"plain: failures stopped {span:.2f} s after modern broke; "
          f"all three tripped after {tripped - broke_at:.2f} s")  # fmt: skip
    assert span <= INTERVAL, f"failures went on for {span:.2f} s"


def users_never_saw_a_failure_with_fallback(traffic: Traffic) -> None:
    for path in ("/api/items", "/api/sluggish", "/api/watched"):
        bad = [a for a in traffic.of(path) if a.status != 200]
        assert not bad, f"{path}: {bad[:3]}"


def legacy_serves_everything_once_tripped(traffic: Traffic, settled: float) -> None:
    for path in ("/api/items", "/api/plain", "/api/sluggish"):
        after = traffic.of(path, settled)
        assert after and {a.upstream for a in after} == {"legacy"}, path
        assert all(a.status == 200 for a in after)


def the_override_shows_everywhere(
    routes: dict[str, dict[str, object]], http: httpx.Client, url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    items = routes["items"]
    assert items["configured"] == {"stage": "canary", "percent": 50.0, "label": "canary 50%"}
    assert items["effective"] == {"stage": "legacy", "percent": 0.0, "label": "legacy",
                                  "by": "guardrail"}  # fmt: skip
    override = items["guardrail"]["override"]  # type: ignore[index]
    assert "max_error_rate" in override["reason"], override
    assert override["figures"]["modern"]["errors"] > 0
    assert "p95" in routes["sluggish"]["guardrail"]["override"]["reason"]  # type: ignore[index]
    assert items["guardrail"]["trips"] == 1  # type: ignore[index]
    metrics = http.get(url + "/_strangler/metrics").text
    assert 'strangler_guardrail_override{route="items"} 1' in metrics
    assert 'strangler_guardrail_trips_total{route="items"} 1' in metrics
    assert 'strangler_route_effective_percent{route="items"} 0' in metrics
    assert 'strangler_guardrail_override{route="watched"} 0' in metrics
    capsys.readouterr()
    assert main(["status", "--url", url]) == 0
    printed = capsys.readouterr().out
    assert "canary 50.0% -> legacy (guardrail)" in printed
    assert (
        "OVERRIDE: sent back to legacy" in printed and "strangler override clear items" in printed
    )
    with capsys.disabled():
        print(printed)


def each_trip_was_decided_once(
    redis_env: dict[str, str], url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client = redis.Redis.from_url(redis_env["REDIS_URL"])
    key = redis_env["REDIS_KEY_PREFIX"] + "guardrail:trips"
    try:
        trips = {k.decode(): int(v) for k, v in client.hgetall(key).items()}
    finally:
        client.close()
    assert trips == {"items": 1, "plain": 1, "sluggish": 1}, trips
    capsys.readouterr()
    assert main(["history", "items", "--url", url]) == 0
    printed = capsys.readouterr().out
    assert printed.count(" trip ") == 1, printed
    with capsys.disabled():
        print(printed)


def dry_run_only_reports(
    routes: dict[str, dict[str, object]], traffic: Traffic, settled: float
) -> None:
    watched = routes["watched"]
    assert watched["effective"]["by"] == "routes.yaml"  # type: ignore[index]
    assert "modern" in {a.upstream for a in traffic.of("/api/watched", settled)}
    history = httpx.get(
        traffic.base_url + "/_strangler/api/routes/watched/history", timeout=5
    ).json()["entries"]
    assert [e["event"] for e in history][:1] == ["dry-run"], history


def an_admin_clears_the_override(
    pair: Upstreams, http: httpx.Client, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    control(pair.modern.url, "/api/items")  # fixed
    capsys.readouterr()
    assert main(["override", "clear", "items", "--url", url]) == 0
    assert "now served at canary 50%" in capsys.readouterr().out
    assert main(["override", "clear", "items", "--url", url]) == 1
    assert "has no guardrail override" in capsys.readouterr().err
    for method, path, status in (
        ("DELETE", "/api/routes/nope/override", 404),
        ("GET", "/api/routes/items/history?limit=0", 400),
        ("GET", "/api/routes/items/history?limit=x", 400),
        ("GET", "/api/routes/nope/guardrail", 404),
    ):
        reply = http.request(method, url + "/_strangler" + path)
        assert reply.status_code == status and reply.json()["error"]["message"], path
    shown = http.get(url + "/_strangler/api/routes/items/guardrail").json()
    assert shown["effective"]["by"] == "routes.yaml" and shown["guardrail"]["trips"] == 1

    def back_on_modern() -> bool:
        served = {http.get(url + "/api/items", headers={"x-client": f"c{n}"}).headers[
            "x-upstream"] for n in range(40)}  # fmt: skip
        return served == {"legacy", "modern"}

    wait_for(back_on_modern, timeout=5)  # the other worker's snapshot follows within a tick
    events = [e["event"] for e in http.get(url + "/_strangler/api/routes/items/history").json()[
        "entries"]]  # fmt: skip
    assert events[-2:] == ["trip", "cleared"], events


def editing_the_route_lifts_its_override(http: httpx.Client, proxy: object, text: str) -> None:
    routes_file: Path = proxy.routes  # type: ignore[attr-defined]
    url: str = proxy.url  # type: ignore[attr-defined]
    before = "{id: plain, path: /api/plain, stage: canary, canary: {percent: 50,"
    edited = text.replace(before, before.replace("50", "60"))
    assert edited != text
    routes_file.write_text(edited)
    assert http.post(url + "/_strangler/api/reload").json()["result"] == "applied"

    def lifted() -> list[str]:
        route = status_routes(http, url)["plain"]
        assert route["effective"]["by"] == "routes.yaml"  # at once: the file is newer
        entries = http.get(url + "/_strangler/api/routes/plain/history").json()["entries"]
        return [e["event"] for e in entries if e["event"] == "lifted"]

    assert wait_for(lifted, timeout=5) == ["lifted"]
