"""`strangler check --url` says what the running proxy then does, case by case.

The proxy runs with every case's `before` (tests/support/move_cases.py). The check of
the `after` file against it must name exactly the routes the proxy's reload then
refuses, with the same kind of problem; the file of accepted moves alone passes the
check and is applied by the proxy.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from strangler.cli import main
from tests.support.move_cases import CASES, expected, routes, routes_yaml
from tests.support.servers import run_app

ROUTE_IN = re.compile(r"route '(m\d+)'")
UPSTREAM = "http://127.0.0.1:9"  # never asked: only reloads and status are used


def kinds_of(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        match = ROUTE_IN.search(line)
        if match is not None:
            out[match.group(1)] = "expired" if "expired on" in line else "backward"
    return out


def test_check_against_a_running_proxy_agrees_with_its_reload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = tmp_path / "routes.yaml"
    served.write_text(routes_yaml(routes("before"), UPSTREAM, UPSTREAM))
    env = {
        "STRANGLER_ROUTES": str(served),
        "REDIS_URL": "",
        "STRANGLER_ADMIN_TOKEN": "",
        "STRANGLER_ADMIN_OPEN": "1",  # the test reloads without a token
    }
    candidate = tmp_path / "candidate" / "routes.yaml"  # no migration.lock beside it
    candidate.parent.mkdir()
    with (
        run_app("proxy.app:app", env=env, ready_path="/_strangler/healthz") as proxy,
        httpx.Client(base_url=proxy.url, timeout=10) as client,
    ):
        candidate.write_text(routes_yaml(routes("after"), UPSTREAM, UPSTREAM))
        assert main(["check", str(candidate), "--url", proxy.url]) == 1
        err = capsys.readouterr().err
        assert kinds_of([line for line in err.splitlines() if "warning" not in line]) == expected()
        assert f"against the proxy at {proxy.url}" in err

        served.write_text(candidate.read_text())
        refused = client.post("/_strangler/api/reload")
        assert refused.status_code == 422
        assert kinds_of(refused.json()["problems"]) == expected()

        fine = {i for i, case in enumerate(CASES) if case.expected is None}
        candidate.write_text(routes_yaml(routes("after", only=fine), UPSTREAM, UPSTREAM))
        assert main(["check", str(candidate), "--url", proxy.url]) == 0
        served.write_text(candidate.read_text())
        applied = client.post("/_strangler/api/reload")
        assert applied.status_code == 200 and applied.json()["result"] == "applied"
        # The expired rollback stays visible in status, with its date.
        status = client.get("/_strangler/api/status").json()
        leftover = next(r for r in status["routes"] if r["id"] == f"m{len(CASES) - 1}")
        assert leftover["rollback"] == {"reason": "p99 doubled in modern",
                                        "expires": "2020-01-01", "expired": True}  # fmt: skip
