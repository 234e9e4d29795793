"""The simulated-users load test, in its short mode, so the script cannot rot.

It runs the real script end to end (embedded database, legacy, modern, two proxies,
virtual users with WebSockets) for a few seconds per variant and checks what it
reports and that it leaves the data as it found it. No figure here is timed: the
latency limit is set far out of reach so a busy machine cannot stop a step early.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "load_users.py"

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_short_run_reports_both_variants_and_undoes_its_posts(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    command = [
        sys.executable, str(SCRIPT), "--short", "--data-dir", str(tmp_path / "db" / "data"),
        "--out", str(out), "--p95-limit", "60", "--post-share", "0.4",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    report = json.loads(out.read_text())["results"]
    assert set(report) == {"before", "after"}
    for variant in ("before", "after"):
        result = report[variant]
        assert [step["users"] for step in result["steps"]] == [1, 3], variant
        assert result["concurrent_users"] == 3
        assert result["errors"] == {}
        last = result["steps"][-1]
        assert last["requests"] > 0 and last["requests_per_s"] > 0
        for figures in last["endpoints"].values():
            assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    deliveries = sum(s["websocket_delay"]["n"] for v in report.values() for s in v["steps"])
    assert deliveries > 0, "a post reached no other member's WebSocket"

    # Every post the users made was deleted again, and the plot has a line per variant.
    undone = re.search(r"undone: (\d+) posts deleted", done.stdout)
    assert undone is not None, done.stdout[-2000:]
    assert int(undone.group(1)) == sum(v["posts_made"] for v in report.values()) > 0
    svg = out.with_suffix(".svg").read_text()
    assert svg.startswith("<svg") and svg.count("<polyline") == 2
    assert "concurrent users" in done.stdout
