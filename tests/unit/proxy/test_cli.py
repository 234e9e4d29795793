"""`strangler check` and `strangler status`: exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from strangler.cli import main
from tests.unit.proxy.samples import ROUTES_HEAD

GOOD = ROUTES_HEAD + "  - {id: a, path: /a, stage: legacy}\n"

STATUS = {
    "config": {"revision": "abc123def456", "source": "routes.yaml", "loaded_at": "t",
               "last_error": {"message": "routes.yaml:7: bad", "revision": "ffff", "at": "t2"}},
    "migration": {"routes_total": 2, "by_stage": {"legacy": 1, "modern": 1},
                  "percent_routes": 50.0, "percent_traffic": 12.5},
    "routes": [
        {"id": "list-rooms", "stage": "shadow", "requests": {"legacy": 7, "modern": 0},
         "errors": 0, "fallbacks": 0, "latency_ms": {"p99": 3.5},
         "shadow": {"compared": 4, "match_rate": 0.75,
                    "window": {"id": 3, "compared": 2, "match_rate": 1.0,
                               "started": "2026-11-28T10:00:00Z", "reason": "reset: stray"},
                    "recent": {"comparisons": 1000, "hours": 24, "compared": 2,
                               "match_rate": 1.0}},
         "readiness": {"verdict": "not ready", "reason": "2 of 500 comparisons needed"}},
        {"id": "search", "stage": "canary",
         "canary": {"percent": 10, "sticky_missing": {"ip": 5, "legacy": 0, "total": 5}},
         "requests": {"legacy": 9, "modern": 1}, "errors": 1, "fallbacks": 0,
         "latency_ms": {"p99": None},
         "readiness": {"verdict": "not ready", "reason": "waiting for canary analysis"}},
    ],
    "unmapped": [{"path": "/old", "requests": 3}],
}  # fmt: skip


def test_check_ok_and_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert main(["check", str(good)]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 routes, revision ")
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("legacy}", "legasy}"))
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:6: route 'a': stage" in err


@respx.mock
def test_status_renders_a_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRANGLER_ADMIN_TOKEN", "s3cret")
    route = respx.get("http://proxy.test/_strangler/api/status").mock(
        return_value=httpx.Response(200, json=STATUS)
    )
    assert main(["status", "--url", "http://proxy.test"]) == 0
    assert route.calls.last.request.headers["authorization"] == "Bearer s3cret"
    out = capsys.readouterr().out
    assert "migrated: 50.0 % of 2 routes, 12.5 % of recent traffic" in out
    assert "75.0% of 4" in out and "canary 10% (5 without key)" in out
    assert "#3 100.0% of 2" in out  # the current evidence window beside the lifetime counts
    assert "not ready: 2 of 500 comparisons needed" in out
    assert (
        "list-rooms: #3 since 2026-11-28T10:00:00Z, reset: stray; recent 2 (max 1000, 24 h)" in out
    )
    assert "not ready: waiting for canary analysis" in out
    assert "last refused file ffff" in out and "/old (3)" in out


@respx.mock
def test_status_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    respx.get("http://proxy.test/_strangler/api/status").mock(return_value=httpx.Response(401))
    assert main(["status", "--url", "http://proxy.test"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "STRANGLER_ADMIN_TOKEN" in err
    respx.get("http://down.test/_strangler/api/status").mock(
        side_effect=httpx.ConnectError("refused")
    )
    assert main(["status", "--url", "http://down.test"]) == 1
    assert "cannot reach the proxy" in capsys.readouterr().err


def test_check_names_a_missing_lock_and_an_unreachable_proxy_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "routes.yaml"
    good.write_text(GOOD)
    assert main(["check", str(good), "--lock", str(tmp_path / "nope.lock")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no such baseline" in err
    with respx.mock:
        respx.get("http://down.test/_strangler/api/status").mock(
            side_effect=httpx.ConnectError("refused")
        )
        assert main(["check", str(good), "--url", "http://down.test"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot reach the proxy" in err
