"""The cockpit in a real browser: Debian's headless Chromium driven by Playwright, a real
proxy under uvicorn with a real Redis (a prefix of its own), and a small foreign app
pair (the shadow tests' legacy-like app and a modern twin that renames one member).

One browser serves the whole module. Screenshots go to `test-artifacts/` at the
repository root (gitignored); their paths are printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from proxy.admin.formats import count, percent
from tests.support.isolation import fresh_redis_prefix
from tests.support.servers import REPO_ROOT, RunningServer, Upstreams, run_app

pytestmark = [pytest.mark.redis, pytest.mark.slow]

CHROMIUM = os.environ.get("STRANGLER_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"
PAIR_APP = "tests.integration.shadow.upstreams:app"
TOKEN = "cockpit-browser-s3cret"
PLANTED = "[*].members[*].display_name"  # the modern twin renames one member of room r1
SETTLE = 30.0


def routes_yaml(legacy: str, modern: str, routes: list[dict[str, object]]) -> str:
    return yaml.safe_dump({
        "version": 1,
        "upstreams": {"legacy": {"url": legacy}, "modern": {"url": modern}},
        "routes": routes,
    })  # fmt: skip


PAIR_ROUTES: list[dict[str, object]] = [
    {"id": "list-rooms", "path": "/api/rooms", "stage": "shadow"},
    {"id": "list-users", "path": "/api/users", "stage": "shadow", "compare": {"lists": "prefix"}},
    {"id": "clock", "path": "/api/clock", "stage": "legacy"},
    {"id": "echo", "methods": ["GET", "POST"], "path": "/api/echo", "stage": "modern"},
]


@dataclass(frozen=True)
class Cockpit(RunningServer):
    """The proxy whose cockpit the browser opens."""

    @property
    def admin(self) -> str:
        return self.url + "/_strangler"


def wait_for(what: str, check: Callable[[], bool], timeout: float = SETTLE) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def proxy_env(routes: Path, redis_url: str, prefix: str, interval: float = 3600) -> dict[str, str]:
    return {
        "STRANGLER_ROUTES": str(routes), "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix,
        "STRANGLER_ADMIN_TOKEN": TOKEN, "STRANGLER_ADMIN_OPEN": "", "LEGACY_URL": "",
        "MODERN_URL": "", "STRANGLER_HISTORY_INTERVAL": str(interval),
    }  # fmt: skip


@pytest.fixture(scope="module")
def pair() -> Iterator[Upstreams]:
    with (
        run_app(PAIR_APP, env={"SHADOW_ROLE": "legacy"}) as legacy,
        run_app(PAIR_APP, env={"SHADOW_ROLE": "modern", "SHADOW_DIVERGENCE": "changed"}) as modern,
    ):
        yield Upstreams(legacy, modern)


@pytest.fixture(scope="module")
def cockpit(
    pair: Upstreams, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cockpit]:
    """A proxy with traffic already through it and the shadow comparisons settled."""
    routes = tmp_path_factory.mktemp("cockpit") / "routes.yaml"
    routes.write_text(routes_yaml(pair.legacy.url, pair.modern.url, PAIR_ROUTES))
    with (
        fresh_redis_prefix(redis_url) as prefix,
        run_app("proxy.app:app", env=proxy_env(routes, redis_url, prefix, interval=1),
                ready_path="/_strangler/healthz") as proxy,
        httpx.Client(base_url=proxy.url, timeout=10) as http,
    ):  # fmt: skip
        for _ in range(6):
            assert http.get("/api/rooms").status_code == 200
        for _ in range(4):
            http.get("/api/users")
        for _ in range(3):
            http.get("/api/echo")
        http.get("/api/clock")
        cockpit = Cockpit(proxy.url, proxy.port, proxy.pid)

        def settled() -> bool:
            status = http.get(cockpit.admin + "/api/status", headers=bearer()).json()
            shadow = {r["id"]: r.get("shadow", {}) for r in status["routes"]}
            return shadow["list-rooms"]["compared"] == 6 and shadow["list-users"]["compared"] == 4

        wait_for("the shadow comparisons", settled)
        yield cockpit


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def shot(page: Page, name: str, **options: bool) -> Path:
    path = ARTIFACTS / f"cockpit-{name}.png"
    page.screenshot(path=str(path), full_page=True, **options)
    print(f"screenshot: {path}")
    return path


def signed_in(browser: Browser, admin: str, **options: object) -> tuple[BrowserContext, Page]:
    """A new browser context that went through the sign-in form."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    refused = page.goto(admin + "/")
    assert refused is not None and refused.status == 401
    page.fill("#token", TOKEN)
    with page.expect_navigation():
        page.click("form.signin button[type=submit]")
    assert page.url == admin + "/"
    return context, page


def serving(body: str) -> Callable[[Route], None]:
    """A route handler answering with `body` (a page on a site of the test's choosing)."""

    def fulfill(route: Route) -> None:
        route.fulfill(body=body, content_type="text/html")

    return fulfill


def field_value(page: Page, name: str) -> float:
    raw = page.get_attribute(f'[data-field="{name}"]', "data-value")
    assert raw is not None, name
    return float(json.loads(raw))


def test_the_page_is_refused_before_sign_in_and_works_after(
    browser: Browser, cockpit: Cockpit, pair: Upstreams
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = page.goto(cockpit.admin + "/routes/list-rooms")
    assert refused is not None and refused.status == 401
    assert page.is_visible("form.signin #token")
    shot(page, "signin")
    page.fill("#token", TOKEN)
    with page.expect_navigation():
        page.click("form.signin button[type=submit]")
    assert page.url == cockpit.admin + "/routes/list-rooms"  # back where the user was going
    assert page.is_visible("#fields")
    # A page on another origin posts a form at the admin API. From a site of its own the
    # browser does not even send the SameSite cookie; from another port of the same host
    # (same site: the cookie IS sent) the Origin check still refuses it.
    for attacker in ("http://attacker.test/page", pair.legacy.url + "/attack"):
        form = (
            f'<form method="post" action="{cockpit.admin}/api/history/events">'
            '<input name="reason" value="forged by another site"></form>'
            "<script>document.forms[0].submit()</script>"
        )
        page.route(attacker, serving(form))
        with page.expect_response(lambda r: r.url.endswith("/api/history/events")) as posted:
            page.goto(attacker)
        assert posted.value.status == 403, attacker
    history = httpx.get(cockpit.admin + "/api/history", headers=bearer()).json()
    assert not any("forged" in e["reason"] for e in history["events"])
    context.close()


def test_the_overview_shows_what_the_status_api_says(browser: Browser, cockpit: Cockpit) -> None:
    context, page = signed_in(browser, cockpit.admin)
    status = context.request.get(cockpit.admin + "/api/status").json()
    page.reload()
    migration = status["migration"]
    for name in ("percent_routes", "percent_traffic", "routes_total"):
        assert field_value(page, name) == migration[name], name
    assert page.inner_text('[data-field="percent_routes"]') == percent(migration["percent_routes"])
    assert page.inner_text('[data-field="percent_traffic"]') == percent(
        migration["percent_traffic"]
    )
    for stage, n in migration["by_stage"].items():
        assert page.inner_text(f'[data-field="by_stage.{stage}"]') == count(n)
    assert 0 < migration["percent_traffic"] < 100 and migration["percent_routes"] == 25.0
    for route in status["routes"]:
        row = f'tr[data-route="{route["id"]}"]'
        assert page.get_attribute(f"{row} [data-stage]", "data-stage") == route["stage"]
        shadow = route.get("shadow")
        if shadow:
            value = page.get_attribute(f'{row} [data-field="match_rate"]', "data-value")
            assert value is not None and float(value) == shadow["match_rate"]
    rooms = {r["id"]: r for r in status["routes"]}["list-rooms"]["shadow"]
    assert rooms["match_rate"] < 1.0
    attention = page.locator('[data-attention="responses differ"]')
    assert "list-rooms" in attention.inner_text()
    shot(page, "overview")
    # The script keeps the page live: new traffic shows without a reload.
    page.goto(cockpit.admin + "/?refresh_ms=1000")
    cell = 'tr[data-route="echo"] td:nth-child(6)'  # requests answered by modern
    before = int(page.inner_text(cell))
    for _ in range(2):
        httpx.get(cockpit.url + "/api/echo")
    page.wait_for_function(
        f"document.querySelector('{cell}').textContent === '{before + 2}'", timeout=15_000
    )
    assert page.get_attribute("body", "data-refreshed") is not None
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scroll
    shot(page, "overview-phone")
    context.close()


def test_the_route_page_shows_the_planted_difference_side_by_side(
    browser: Browser, cockpit: Cockpit
) -> None:
    context, page = signed_in(browser, cockpit.admin)
    status = httpx.get(cockpit.admin + "/api/status", headers=bearer()).json()
    rooms = {r["id"]: r for r in status["routes"]}["list-rooms"]
    planted = next(f for f in rooms["shadow"]["fields"] if f["path"] == PLANTED)
    route_history = cockpit.admin + "/api/history/routes/list-rooms"

    def recorded() -> bool:
        return bool(httpx.get(route_history, headers=bearer()).json()["figures"])

    wait_for("an interval's figures", recorded)
    page.goto(cockpit.admin + "/routes/list-rooms")
    assert page.locator(".charts svg.chart polyline.series-legacy").count() == 2  # errors, p95
    row = page.locator(f'tr.diff[data-path="{PLANTED}"]')
    assert row.locator('[data-field="diff_count"]').inner_text() == count(planted["diffs"]) == "6"
    assert "User 3" in row.locator("pre.legacy").inner_text()
    assert "Someone Else" in row.locator("pre.modern").inner_text()
    assert page.locator('tr[data-target="legacy"] td').nth(1).inner_text() == count(
        rooms["requests"]["legacy"]
    )
    shot(page, "route")
    context.close()


def test_without_javascript_the_first_response_has_the_numbers(
    browser: Browser, cockpit: Cockpit
) -> None:
    plain = httpx.get(cockpit.admin + "/", headers={**bearer(), "Accept": "text/html"})
    status = httpx.get(cockpit.admin + "/api/status", headers=bearer()).json()
    value = status["migration"]["percent_routes"]
    assert f'data-field="percent_routes" data-value="{value}">{percent(value)}<' in plain.text
    assert "list-rooms" in plain.text and "loading" not in plain.text
    context, page = signed_in(browser, cockpit.admin, java_script_enabled=False)
    assert field_value(page, "routes_total") == status["migration"]["routes_total"]
    assert page.locator("tr[data-route]").count() == len(PAIR_ROUTES)
    shot(page, "overview-no-javascript")
    context.close()


HISTORY_STEPS: list[dict[str, object]] = [
    {"stage": "shadow"},
    {"stage": "canary", "canary": {"percent": 10}},
    {"stage": "canary", "canary": {"percent": 50}},
    {"stage": "modern"},
]


def test_history_survives_a_restart_in_order(
    browser: Browser, pair: Upstreams, redis_url: str, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.yaml"
    base = [{"id": "orders", "path": "/api/rooms", "stage": "legacy"},
            {"id": "people", "path": "/api/users", "stage": "legacy"}]  # fmt: skip
    routes.write_text(routes_yaml(pair.legacy.url, pair.modern.url, base))
    moves = ("legacy → shadow", "shadow → canary 10 %", "canary 10 % → canary 50 %",
             "canary 50 % → modern")  # fmt: skip
    expected = [
        *(("stage", "orders", move) for move in moves),
        ("stage", "people", "legacy → shadow"),
        ("override", "orders", "simulated guardrail override: error rate 21 % > 5 %"),
    ]
    with fresh_redis_prefix(redis_url) as prefix:
        env = proxy_env(routes, redis_url, prefix)
        with run_app("proxy.app:app", env=env, ready_path="/_strangler/healthz") as proxy:
            admin = proxy.url + "/_strangler"

            def changes() -> int:
                points = httpx.get(admin + "/api/history", headers=bearer()).json()["points"]
                return sum(1 for p in points if p["kind"] == "config")

            wait_for("the first snapshot", lambda: changes() == 1)
            steps = [({**base[0], **step}, base[1]) for step in HISTORY_STEPS]
            steps.append((steps[-1][0], {**base[1], "stage": "shadow"}))
            for number, table in enumerate(steps, start=2):
                routes.write_text(routes_yaml(pair.legacy.url, pair.modern.url, list(table)))
                reply = httpx.post(admin + "/api/reload", headers=bearer())
                assert reply.json()["result"] in ("applied", "unchanged"), reply.text
                wait_for(f"snapshot {number}", lambda n=number: changes() == n)  # type: ignore[misc]
            override = {"kind": "override", "route": "orders", "reason": expected[-1][2]}
            event = httpx.post(admin + "/api/history/events", headers=bearer(), json=override)
            assert event.status_code == 201, event.text
        with run_app("proxy.app:app", env=env, ready_path="/_strangler/healthz") as proxy:
            admin = proxy.url + "/_strangler"
            history = httpx.get(admin + "/api/history", headers=bearer()).json()
            status = httpx.get(admin + "/api/status", headers=bearer()).json()
            seen = [(e["kind"], e["route"], e["reason"].split(" (routes.yaml")[0])
                    for e in history["events"]]  # fmt: skip
            assert seen == expected
            config_points = [p for p in history["points"] if p["kind"] == "config"]
            assert len(config_points) == 6  # the start and five changes; none for the restart
            assert [p["percent_routes"] for p in config_points] == [0, 0, 0, 0, 50.0, 50.0]
            recent = [e["id"] for e in status["history"]["recent_events"]]
            assert recent == [e["id"] for e in history["events"]]
            per_route = httpx.get(admin + "/api/history/routes/orders", headers=bearer()).json()
            assert [s["state"]["stage"] for s in per_route["states"]] == [
                "legacy", "shadow", "canary", "canary", "modern",
            ]  # fmt: skip

            context, page = signed_in(browser, admin)
            marks = page.locator("svg.chart circle.change")
            assert marks.count() == 6
            xs = [float(marks.nth(i).get_attribute("cx") or 0) for i in range(6)]
            assert xs == sorted(xs) and xs[0] < xs[-1]
            flag = page.locator("svg.chart line.flag")  # the override, after the last change
            assert flag.count() == 1 and float(flag.get_attribute("x1") or 0) >= xs[-1]
            shot(page, "history")
            page.goto(admin + "/routes/orders")
            rows = page.locator("tr.event")
            reasons = [rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count())]
            wanted = [reason for _, route, reason in expected if route == "orders"]
            assert [r.split(" (routes.yaml")[0] for r in reversed(reasons)] == wanted
            shot(page, "timeline")
            context.close()


def test_the_report_from_git_opens_offline_with_its_chart(browser: Browser, tmp_path: Path) -> None:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs the repository's git history")
    out = tmp_path / "report"
    command = [sys.executable, "-m", "strangler.cli", "report", "--root", str(REPO_ROOT),
               "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    html, csv, data = (out / f"migration-report.{ext}" for ext in ("html", "csv", "json"))
    points = json.loads(data.read_text())
    assert points and len(csv.read_text().splitlines()) == len(points) + 1
    context = browser.new_context(offline=True)
    asked: list[str] = []

    def no_network(route: Route) -> None:
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            asked.append(url)
            route.abort()

    context.route("**/*", no_network)
    page = context.new_page()
    page.goto(html.as_uri())
    assert asked == []  # nothing but the file itself
    assert page.locator("svg.chart polyline.series-routes").count() == 1
    assert percent(points[-1]["percent_migrated"]) in page.inner_text("#headline")
    shot(page, "report")
    context.close()
