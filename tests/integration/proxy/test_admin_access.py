"""Who may use /_strangler/: read-only without a token, open on request, and with a token
a Bearer header or a signed-in browser session whose state changes carry a CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.proxy.conftest import ADMIN_TOKEN as TOKEN
from tests.integration.proxy.conftest import Proxy, Upstreams, base_proxy, client

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def read_only(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    with base_proxy(upstreams, tmp_path_factory, {"STRANGLER_ADMIN_OPEN": ""}) as running:
        yield running


def test_without_a_token_reading_works_and_every_change_is_refused(read_only: Proxy) -> None:
    admin = read_only.url + "/_strangler"
    with client() as http:
        assert http.get(admin + "/", headers=HTML).status_code == 200
        assert http.get(admin + "/api/status").status_code == 200
        assert http.get(admin + "/api/history").status_code == 200
        for path in ("/api/reload", "/api/history/events", "/api/routes/echo/shadow"):
            refused = http.post(admin + path, json={"reason": "try"})
            assert refused.status_code == 403, path
            error = refused.json()["error"]
            assert error["code"] == "read_only"
            assert "STRANGLER_ADMIN_TOKEN" in error["message"]
            assert "STRANGLER_ADMIN_OPEN=1" in error["message"]


def test_an_opened_admin_area_still_refuses_other_sites(proxy: Proxy) -> None:
    admin = proxy.url + "/_strangler"
    with client() as http:
        assert http.post(admin + "/api/reload").status_code == 200
        for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            refused = http.post(admin + "/api/reload", headers=headers)
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "cross_site"


def test_a_browser_without_a_session_gets_the_sign_in_page(guarded: Proxy) -> None:
    with client() as http:
        page = http.get(guarded.url + "/_strangler/routes/echo", headers=HTML)
        assert page.status_code == 401 and 'action="/_strangler/signin"' in page.text
        assert 'name="next" value="/_strangler/routes/echo"' in page.text
        api = http.get(guarded.url + "/_strangler/api/status")
        assert api.status_code == 401 and api.json()["error"]["code"] == "unauthorized"
        icon = http.get(guarded.url + "/_strangler/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
        assert http.get(guarded.url + "/_strangler/static/cockpit.css").status_code == 200


def sign_in(http: httpx.Client, proxy: Proxy, **headers: str) -> httpx.Response:
    return http.post(
        proxy.url + "/_strangler/signin",
        data={"token": TOKEN, "next": "/_strangler/routes/echo"},
        headers=headers,
    )


def test_signing_in_sets_a_safe_session_cookie(guarded: Proxy) -> None:
    with client() as http:
        wrong = http.post(guarded.url + "/_strangler/signin", data={"token": "guess"})
        assert wrong.status_code == 401 and "not the admin token" in wrong.text
        assert "set-cookie" not in wrong.headers
        ok = sign_in(http, guarded)
        assert ok.status_code == 303 and ok.headers["location"] == "/_strangler/routes/echo"
        cookie = ok.headers["set-cookie"]
        for flag in ("HttpOnly", "SameSite=Strict", "Max-Age=", "Path=/_strangler"):
            assert flag in cookie
        assert "Secure" not in cookie and TOKEN not in cookie
        behind_tls = sign_in(http, guarded, **{"X-Forwarded-Proto": "https"})
        assert "; Secure" in behind_tls.headers["set-cookie"]
        elsewhere = http.post(
            guarded.url + "/_strangler/signin",
            data={"token": TOKEN, "next": "https://evil.example/"},
        )
        assert elsewhere.headers["location"] == "/_strangler/"  # no open redirect
        forged = http.post(guarded.url + "/_strangler/signin", data={"token": TOKEN},
                           headers={"Origin": "http://evil.example"})  # fmt: skip
        assert forged.status_code == 403  # no login CSRF


def test_a_session_reads_and_changes_only_with_its_csrf_token(guarded: Proxy) -> None:
    with client() as http:
        value = sign_in(http, guarded).headers["set-cookie"].split(";")[0]
        session = {"Cookie": value}
        page = http.get(guarded.url + "/_strangler/", headers={**session, **HTML})
        assert page.status_code == 200
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        assert csrf is not None
        reload = guarded.url + "/_strangler/api/reload"
        missing = http.post(reload, headers=session)
        assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf"
        wrong = http.post(reload, headers={**session, "X-Strangler-CSRF": "0" * 64})
        assert wrong.status_code == 403
        assert (
            http.post(reload, headers={**session, "X-Strangler-CSRF": csrf[1]}).status_code == 200
        )
        bearer = http.post(reload, headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200  # API clients need no CSRF token
        tampered = value[:-1] + ("0" if value[-1] != "0" else "1")
        assert http.get(guarded.url + "/_strangler/api/status",
                        headers={"Cookie": tampered}).status_code == 401  # fmt: skip
        out = http.post(guarded.url + "/_strangler/signout", headers=session,
                        data={"csrf": csrf[1]})  # fmt: skip
        assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]


def test_the_browsers_own_icon_request_is_not_an_unmapped_path(proxy: Proxy) -> None:
    with client() as http:
        forwarded = http.get(proxy.url + "/favicon.ico")
        assert forwarded.headers.get("x-upstream") == "legacy"  # transparent: legacy answers
        http.get(proxy.url + "/not-mapped-either")
        unmapped = http.get(proxy.url + "/_strangler/api/status").json()["unmapped"]
    paths = {u["path"] for u in unmapped}
    assert "/not-mapped-either" in paths and "/favicon.ico" not in paths


def test_the_history_api_answers_bad_input_with_clear_4xx(proxy: Proxy) -> None:
    admin = proxy.url + "/_strangler"
    with client() as http:
        for query in ("since=yesterday", "limit=0", "limit=-3"):
            reply = http.get(admin + "/api/history?" + query)
            assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_request"
        events = admin + "/api/history/events"
        assert http.post(events, content=b"not json").status_code == 400
        assert http.post(events, json=["a list"]).status_code == 400
        assert http.post(events, json={"reason": "x"}).status_code == 400  # too short
        stage = http.post(events, json={"kind": "stage", "reason": "stages come from routes.yaml"})
        assert stage.status_code == 400 and "override" in stage.json()["error"]["message"]
        missing = http.post(events, json={"route": "nope", "reason": "no such route"})
        assert missing.status_code == 404
        added = http.post(events, json={"route": "echo", "reason": "deployed modern 1.4"})
        assert added.status_code == 201 and added.json()["kind"] == "note"
        history = http.get(admin + "/api/history?limit=1").json()
        assert len(history["points"]) <= 1
        assert history["events"][-1]["id"] == added.json()["id"]
        per_route = http.get(admin + "/api/history/routes/echo").json()
        assert per_route["events"][-1]["reason"] == "deployed modern 1.4"
        assert per_route["states"][0]["state"]["stage"] == "legacy"
        assert http.get(admin + "/api/history/routes/never-was").status_code == 404
        status = http.get(admin + "/api/status").json()
        assert status["history"]["recent_events"][-1]["id"] == added.json()["id"]
