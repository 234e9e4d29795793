"""`strangler up` end to end: a real stack in a child process, stopped with SIGINT."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strangler.embedded_db import free_port
from strangler.stack import StackError, Supervisor
from tests.support.processes import process_gone

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 120.0
SERVICE_LINE = re.compile(r"^\s+(\w+)\s+(\S+)\s+\((?:embedded, )?pid (\d+)")


def _lines(stream: object) -> queue.Queue[str]:
    """Read a pipe on a thread so the test can wait for a line with a timeout."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.fixture
def up_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, int]]]:
    ports = {name: free_port() for name in ("proxy", "legacy", "modern")}
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    command = [
        sys.executable, "-m", "strangler.cli", "up", "--data-dir", str(tmp_path / "data"),
        *(arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        yield process, ports
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.slow
def test_up_serves_the_seeded_stack_and_sigint_stops_every_child(
    up_process: tuple[subprocess.Popen[str], dict[str, int]],
) -> None:
    process, ports = up_process
    lines, output, pids = _lines(process.stdout), [], {}
    deadline = time.monotonic() + READY_TIMEOUT
    while not output or "ready" not in output[-1]:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail("strangler up printed no ready line:\n" + "".join(output))
        output.append(line)
        if match := SERVICE_LINE.match(line):
            pids[match[1]] = int(match[3])
        assert process.poll() is None, "strangler up exited:\n" + "".join(output)
    assert {"database", "legacy"} <= set(pids), output
    assert f"http://127.0.0.1:{ports['legacy']}" in "".join(output)

    legacy = f"http://127.0.0.1:{ports['legacy']}"
    login = httpx.post(
        f"{legacy}/api/auth/login", json={"username": "demo", "password": "password123"}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    rooms = httpx.get(f"{legacy}/api/rooms", headers=headers, timeout=60).json()
    assert len(rooms) == 10  # the demo set was seeded into the empty database
    assert all(room["members"] and room["members"][0]["username"] for room in rooms)
    assert sum(room["message_count"] for room in rooms) == 1_000

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    for name, pid in pids.items():
        assert process_gone(pid), f"{name} (pid {pid}) is still running"
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)  # nothing of its process group either


def test_up_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "strangler.cli", "up", "--only", "legacy",
             "--legacy-port", str(port), "--data-dir", str(tmp_path / "data")],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"strangler: port {port} (legacy) is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # refused before starting anything


def test_a_child_dying_at_start_up_is_reported_and_the_others_stopped() -> None:
    """The supervision `up` relies on: a start-up death stops every other child."""
    supervisor = Supervisor()
    env = dict(os.environ)
    sleeper = supervisor.spawn(
        "sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], env
    )
    supervisor.spawn("dying", [sys.executable, "-c", "raise SystemExit(3)"], env)
    try:
        with pytest.raises(StackError, match="dying exited with code 3 during start-up"):
            supervisor.wait_ready("dying", f"http://127.0.0.1:{free_port()}/healthz")
        assert supervisor.first_exited() == ("dying", 3)
    finally:
        supervisor.stop_all()
    assert supervisor.children == []
    assert process_gone(sleeper)
