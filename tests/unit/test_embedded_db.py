"""The embedded server runner: real `secantusd-py` processes, started and stopped here."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import pytest

from strangler import embedded_db
from strangler.embedded_db import MEMORY, EmbeddedDatabaseError, EmbeddedMongo
from tests.support.processes import process_gone

REPO_ROOT = Path(__file__).resolve().parents[2]


def _client(uri: str) -> pymongo.MongoClient[dict[str, object]]:
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)


def test_start_answers_and_stop_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    server = EmbeddedMongo()
    assert server.data_dir == MEMORY and not server.running()
    uri = server.start()
    pid = server.pid
    assert pid is not None and server.running()
    client = _client(uri)
    try:
        client.probe.items.insert_one({"n": 1})
        assert client.probe.items.find_one({}, {"_id": 0}) == {"n": 1}
    finally:
        client.close()
    server.stop()
    assert not server.running() and server.pid is None
    assert process_gone(pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # the whole process group is gone too
    assert list(tmp_path.iterdir()) == []  # `:memory:` wrote no data directory
    server.stop()  # stopping twice is harmless


def test_a_data_dir_persists_across_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    with EmbeddedMongo(data_dir=data_dir, log_file=tmp_path / "server.log") as first:
        client = _client(first.uri)
        try:
            client.social.users.insert_one({"username": "kept"})
        finally:
            client.close()
    assert data_dir.is_dir() and any(data_dir.iterdir())
    assert (tmp_path / "server.log").exists()
    with EmbeddedMongo(data_dir=data_dir) as second:
        client = _client(second.uri)
        try:
            assert client.social.users.find_one({}, {"_id": 0}) == {"username": "kept"}
        finally:
            client.close()


def test_the_context_manager_stops_the_server_on_error() -> None:
    with pytest.raises(RuntimeError, match="boom"), EmbeddedMongo() as server:
        pid = server.pid
        raise RuntimeError("boom")
    assert pid is not None and process_gone(pid)


def test_a_missing_launcher_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EmbeddedDatabaseError, match=r"secantusd-py not found.*MONGODB_URI"):
        EmbeddedMongo().start()


def test_a_launcher_that_exits_at_once_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded_db, "find_launcher", lambda: "/bin/false")
    server = EmbeddedMongo(start_timeout=10)
    with pytest.raises(EmbeddedDatabaseError, match="exited with code 1"):
        server.start()
    assert not server.running()


@pytest.mark.skipif(
    sys.platform != "linux" or shutil.which("setpriv") is None, reason="Linux with setpriv"
)
def test_the_server_dies_with_a_parent_killed_outright() -> None:
    script = (
        "import sys, time\n"
        "from strangler.embedded_db import EmbeddedMongo\n"
        "server = EmbeddedMongo()\n"
        "server.start()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    pid = None
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert not process_gone(pid)
        parent.kill()  # SIGKILL: no atexit, no finally
        parent.wait()
        # Generous: the server checkpoints its store before it exits, which took over
        # 10 s once on a CI machine busy with the rest of the suite.
        deadline = time.monotonic() + 30
        while not process_gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_gone(pid)
    finally:
        parent.kill()
        parent.wait()
        if pid is not None and not process_gone(pid):  # the test failed: leave no orphan behind
            os.killpg(pid, signal.SIGKILL)
