"""Autopilot on a compressed time scale, on a 2-worker proxy, then the write-back.

Two routes of the foreign app pair start at shadow with autopilot steps 25 → 50 →
100 % held 1.5 s each. Under steady traffic the healthy one walks shadow → canary →
modern with no failed request, and its audit log holds every step exactly once
though both workers reach each decision; the other's modern starts failing at its
first canary step, so the guardrail sends it back to legacy and autopilot stops.
`strangler writeback` then writes both into routes.yaml and migration.lock, and
`strangler ratchet check` accepts the result.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import httpx
import pytest
import yaml

from strangler.cli import main
from tests.integration.guardrail.conftest import (
    StartProxy,
    control,
    status_routes,
    wait_for,
)
from tests.integration.guardrail.traffic import Traffic
from tests.integration.proxy.conftest import Upstreams

pytestmark = pytest.mark.redis

PILOT = (
    "stage: shadow, fallback: legacy, "
    "autopilot: {steps: [25, 50, 100], sticky: header, key: x-client}, "
    "analysis: {interval: 1.5, min_requests: 10}, "
    "shadow: {min_comparisons: 20, ready_threshold: 0.8}"
)
STEPS = ["shadow -> canary 25%", "canary 25% -> canary 50%", "canary 50% -> canary 100%",
         "canary 100% -> modern"]  # fmt: skip


def _repository(root: Path, pair: Upstreams) -> None:
    """A repository of the foreign app: its OpenAPI inventory, routes.yaml, ratchet table."""
    (root / "pyproject.toml").write_text(
        '[tool.strangler.ratchet]\nlegacy_openapi = "legacy-openapi.json"\nmodern_package = ""\n'
    )
    paths = {"/api/healthy": {"get": {}}, "/api/doomed": {"get": {}}}
    (root / "legacy-openapi.json").write_text(json.dumps({"openapi": "3.1.0", "paths": paths}))
    (root / "routes.yaml").write_text(
        textwrap.dedent(f"""\
        version: 1
        upstreams:
          legacy: {{url: "{pair.legacy.url}", timeout: 10}}
          modern: {{url: "{pair.modern.url}", timeout: 10}}
        routes:
          # promoted by itself while the evidence holds
          - {{id: healthy, path: /api/healthy, {PILOT}}}
          - {{id: doomed, path: /api/doomed, {PILOT}}}
        """)
    )


def test_autopilot_walks_a_healthy_route_to_modern_and_stops_a_failing_one(
    pair: Upstreams, start_proxy: StartProxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _repository(tmp_path, pair)
    assert main(["ratchet", "update", "--root", str(tmp_path)]) == 0
    http = httpx.Client(timeout=10)
    with start_proxy(None) as proxy:  # the routes.yaml the ratchet just updated
        with Traffic(proxy.url, ["/api/healthy", "/api/doomed"]) as traffic:

            def doomed_at_canary() -> bool:
                route = status_routes(http, proxy.url)["doomed"]
                return route["effective"]["stage"] == "canary"  # type: ignore[index]

            wait_for(doomed_at_canary, timeout=15)
            control(pair.modern.url, "/api/doomed", fail_every=3)

            def settled() -> bool:
                routes = status_routes(http, proxy.url)
                return (
                    routes["healthy"]["effective"]["stage"] == "modern"  # type: ignore[index]
                    and routes["doomed"]["effective"]["by"] == "guardrail"  # type: ignore[index]
                    and routes["doomed"]["autopilot"]["status"] == "halted"  # type: ignore[index]
                )

            wait_for(settled, timeout=25)
            time.sleep(0.5)
            finished = time.monotonic()
            time.sleep(0.5)
        control(pair.modern.url, "/api/doomed")
        healthy = traffic.of("/api/healthy")
        assert healthy and all(a.status == 200 for a in healthy), "no failed request"
        assert {a.upstream for a in traffic.of("/api/healthy", finished)} == {"modern"}
        assert {a.upstream for a in traffic.of("/api/doomed", finished)} == {"legacy"}
        assert all(a.status == 200 for a in traffic.of("/api/doomed")), "fallback served them"
        the_audit_log_has_each_step_once(http, proxy.url, capsys)
        the_failing_route_went_back_through_the_guardrail(http, proxy.url)
    with start_proxy(None) as proxy:
        routes = status_routes(http, proxy.url)  # decisions survive a restart
        assert routes["healthy"]["effective"] == {
            "stage": "modern",
            "percent": 100.0,
            "label": "modern",
            "by": "autopilot",
        }
        assert routes["doomed"]["effective"]["by"] == "guardrail"  # type: ignore[index]
        assert len(_events(http, proxy.url, "healthy")) == 5, "no decision taken twice"
        written_back_and_accepted_by_the_ratchet(http, proxy.url, tmp_path, capsys)


def _events(http: httpx.Client, url: str, route_id: str) -> list[dict[str, object]]:
    reply = http.get(f"{url}/_strangler/api/routes/{route_id}/history")
    return list(reply.json()["entries"])


def the_audit_log_has_each_step_once(
    http: httpx.Client, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = _events(http, url, "healthy")
    steps = [f"{e['from']} -> {e['to']}" for e in entries if e["event"] == "step"]
    assert steps == STEPS, entries
    assert [e["event"] for e in entries].count("start") == 1
    first = next(e for e in entries if e["event"] == "step")
    assert first["figures"]["compared"] >= 20  # type: ignore[index]
    for entry in entries:
        if entry["event"] == "step" and entry["from"] != "shadow":
            assert entry["figures"]["modern"]["requests"] >= 10  # type: ignore[index]
    capsys.readouterr()
    assert main(["history", "healthy", "--url", url]) == 0
    printed = capsys.readouterr().out
    assert printed.count(" step ") == 4
    with capsys.disabled():
        print("\n" + printed)


def the_failing_route_went_back_through_the_guardrail(http: httpx.Client, url: str) -> None:
    events = [e["event"] for e in _events(http, url, "doomed")]
    assert events[:2] == ["start", "step"] and events.count("trip") == 1, events
    assert events[-1] == "halted", events
    assert "step" not in events[events.index("trip") :], "autopilot stopped at the trip"


def written_back_and_accepted_by_the_ratchet(
    http: httpx.Client, url: str, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["writeback", "--url", url, "--root", str(root)]) == 0, capsys.readouterr()
    printed = capsys.readouterr().out
    assert "healthy: modern" in printed and "doomed: legacy (rollback: guardrail:" in printed
    text = (root / "routes.yaml").read_text()
    assert "# promoted by itself while the evidence holds" in text, "comments survive"
    routes = {r["id"]: r for r in yaml.safe_load(text)["routes"]}
    assert routes["healthy"]["stage"] == "modern"
    assert routes["doomed"]["stage"] == "legacy"
    assert routes["doomed"]["rollback"]["reason"].startswith("guardrail: modern error rate")
    assert "route healthy GET /api/healthy modern" in (root / "migration.lock").read_text()
    assert main(["ratchet", "check", "--root", str(root)]) == 0, capsys.readouterr().out
    reload = http.post(url + "/_strangler/api/reload").json()  # the proxy takes it too
    assert reload["result"] in ("applied", "unchanged"), reload

    def as_written() -> bool:
        routes = status_routes(http, url)
        return all(routes[r]["effective"]["by"] == "routes.yaml" for r in ("healthy", "doomed"))

    wait_for(as_written, timeout=5)
    routes = status_routes(http, url)
    assert routes["healthy"]["stage"] == "modern" and routes["doomed"]["stage"] == "legacy"
    with capsys.disabled():
        print(printed)
