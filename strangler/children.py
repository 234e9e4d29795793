"""Child processes that never outlive us: their own process group, stopped as a group.

Every server we start (the embedded database, legacy, modern, the proxy, the test
and bench servers) runs in its own process group, so Ctrl-C in a terminal reaches
the parent only, which then stops the children in order, and a stop reaches
whatever a child spawned (uvicorn's workers). `atexit` and `finally` cover a parent
that fails or is interrupted, not one killed outright (SIGKILL, a CI timeout,
`timeout 600 script.py`); on Linux the children also get a parent-death signal.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import IO

__all__ = ["STOP_TIMEOUT", "spawn", "stop_group"]

STOP_TIMEOUT = 10.0


def spawn(
    command: list[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    output: IO[bytes] | int | None = None,
) -> subprocess.Popen[bytes]:
    """Start `command` in its own process group; `output` takes stdout and stderr
    (None: inherited)."""
    return subprocess.Popen(
        [*_die_with_parent(), *command],
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=True,
    )


def stop_group(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the child's process group, then SIGKILL whatever is left of it; reap."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    # A leader that ignored SIGTERM, or workers it left behind, go now.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _die_with_parent() -> list[str]:
    """A command prefix that has Linux SIGTERM the child when its parent dies.

    `setpriv` sets the parent-death signal and then execs the command (same pid), so
    no Python runs between fork and exec. The kernel sends the signal when the
    *thread* that forked exits, so only the main thread asks for it; elsewhere, and
    where there is no `setpriv`, it is left out.
    """
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []
