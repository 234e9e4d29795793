"""The admin app: token, status document, metrics, diffs, health and readiness."""

from __future__ import annotations

import pytest

from strangler.embedded_db import free_port
from tests.integration.proxy.conftest import ADMIN_TOKEN as TOKEN
from tests.integration.proxy.conftest import Proxy, Upstreams, client, routes_yaml, run_proxy


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/"), ("GET", "/api/status"), ("GET", "/metrics"), ("POST", "/api/reload"),
     ("GET", "/api/routes/echo/diffs")],
)  # fmt: skip
def test_the_admin_token_guards_everything_but_health(
    guarded: Proxy, method: str, path: str
) -> None:
    url = guarded.url + "/_strangler" + path
    with client() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            reply = http.request(method, url, headers=headers)
            assert reply.status_code == 401
            assert reply.json()["error"]["code"] == "unauthorized"
        ok = http.request(method, url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        for open_path in ("/healthz", "/readyz"):
            assert http.get(guarded.url + "/_strangler" + open_path).status_code == 200


def test_the_data_path_never_needs_the_admin_token(guarded: Proxy) -> None:
    with client() as http:
        assert http.get(guarded.url + "/echo").status_code == 200


def test_status_counts_requests_per_route_and_target(proxy: Proxy) -> None:
    with client() as http:
        for _ in range(3):
            http.get(proxy.url + "/echo")
        http.get(proxy.url + "/api/modern")
        http.get(proxy.url + "/old/65a1b2c3d4e5f60718293a4b/thing")
        status = http.get(proxy.url + "/_strangler/api/status").json()
    routes = {route["id"]: route for route in status["routes"]}
    assert routes["echo"]["requests"]["legacy"] >= 3
    assert routes["echo"]["latency_ms"]["p50"] is not None
    assert routes["on-modern"]["requests"]["modern"] >= 1
    assert routes["on-modern"]["stage"] == "modern"
    migration = status["migration"]
    assert migration["routes_total"] == len(routes)
    assert migration["by_stage"]["modern"] == 3 and migration["by_stage"]["canary"] == 1
    assert migration["percent_routes"] == round(100 * 3 / len(routes), 2)
    assert 0 < migration["percent_traffic"] < 100
    assert {"path": "/old/{id}/thing", "requests": 1} in status["unmapped"]
    assert status["config"]["revision"] == status["revision"]
    assert status["config"]["last_error"] is None


def test_metrics_are_prometheus_text(proxy: Proxy) -> None:
    with client() as http:
        http.get(proxy.url + "/echo")
        reply = http.get(proxy.url + "/_strangler/metrics")
    assert reply.headers["content-type"].startswith("text/plain")
    text = reply.text
    assert 'strangler_proxy_requests_total{route="echo",target="legacy"}' in text
    assert (
        'strangler_proxy_request_duration_seconds_bucket{le="+Inf",route="echo",target="legacy"}'
        in text
    )
    assert 'strangler_proxy_routes{stage="modern"} 3.0' in text


def test_diffs_for_a_known_and_an_unknown_route(proxy: Proxy) -> None:
    with client() as http:
        assert http.get(proxy.url + "/_strangler/api/routes/echo/diffs").json() == []
        missing = http.get(proxy.url + "/_strangler/api/routes/nope/diffs")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_dashboard_is_server_rendered_html_with_the_numbers(proxy: Proxy) -> None:
    with client() as http:
        reply = http.get(proxy.url + "/_strangler/")
        assert reply.headers["content-type"].startswith("text/html")
        migration = http.get(proxy.url + "/_strangler/api/status").json()["migration"]
        assert f'data-field="routes_total" data-value="{migration["routes_total"]}"' in reply.text
        assert 'src="/_strangler/static/cockpit.js"' in reply.text
        bare = http.get(proxy.url + "/_strangler")
        assert bare.status_code == 308 and bare.headers["location"] == "/_strangler/"


def test_readiness_follows_the_upstreams(
    proxy: Proxy, upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with client() as http:
        ready = http.get(proxy.url + "/_strangler/readyz")
        assert ready.status_code == 200 and ready.json()["upstreams"] == {
            "legacy": "ok",
            "modern": "ok",
        }
    path = tmp_path_factory.mktemp("unready") / "routes.yaml"
    text = routes_yaml(upstreams.legacy.url, f"http://127.0.0.1:{free_port()}")
    with run_proxy(path, text) as unready, client() as http:
        reply = http.get(unready.url + "/_strangler/readyz", headers={"x-request-id": "ready-1"})
        assert reply.status_code == 503
        assert reply.json()["upstreams"] == {"legacy": "ok", "modern": "unavailable"}
        # Open to anyone: an id to quote, not the upstream's address or errno.
        assert reply.json()["request_id"] == reply.headers["x-request-id"] == "ready-1"
        assert "127.0.0.1" not in reply.text and "rrno" not in reply.text
        errors = http.get(unready.url + "/_strangler/api/status").json()["upstream_errors"]
        assert [(e["route"], e["request_id"]) for e in errors["modern"]] == [("readyz", "ready-1")]
        assert "127.0.0.1" in errors["modern"][0]["detail"]


def test_redis_down_breaks_no_request_and_status_says_why(
    upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("no-redis") / "routes.yaml"
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    text = routes_yaml(upstreams.legacy.url, upstreams.modern.url)
    with run_proxy(path, text, env=env) as lonely, client() as http:
        assert http.get(lonely.url + "/echo").status_code == 200
        status = http.get(lonely.url + "/_strangler/api/status")
        # This worker's own figures, said to be partial, rather than no answer at all.
        assert status.status_code == 200
        body = status.json()
        assert body["partial"] is True and "Redis did not answer" in body["partial_reason"]
        echo = next(route for route in body["routes"] if route["id"] == "echo")
        assert echo["requests"]["legacy"] == 1
        assert http.get(lonely.url + "/_strangler/healthz").status_code == 200


def test_admin_mistakes_get_json_errors(proxy: Proxy) -> None:
    with client() as http:
        missing = http.get(proxy.url + "/_strangler/api/nothing")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        wrong = http.get(proxy.url + "/_strangler/api/reload")
        assert wrong.status_code == 405
        assert wrong.json()["error"]["code"] == "method_not_allowed"
