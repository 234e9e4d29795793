"""`strangler restart`: restart the workers of a running `strangler serve`, dropping nothing.

It sends SIGHUP to the master named in $STRANGLER_HEALTH_FILE and waits for the
outcome the master records there: new workers serving (exit 0; the old ones drain
in the background) or the restart abandoned because a new worker did not start
(exit 1; the old workers keep serving). In a container: `docker compose exec proxy
strangler restart`.
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from typing import Any

from strangler.commands.healthcheck import read_health_record
from strangler.errors import CommandError

POLL_SECONDS = 0.2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "restart",
        help="restart the workers of a running `strangler serve` without a failed request",
        description=(
            "SIGHUP to the master recorded in $STRANGLER_HEALTH_FILE, then wait until the "
            "new workers serve (exit 0) or the restart is abandoned (exit 1)."
        ),
    )
    parser.add_argument(
        "--timeout", type=float, default=180.0, metavar="SECONDS",
        help="how long to wait for the new workers (default %(default)s)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    before = read_health_record()
    pid, restarts = int(str(before["pid"])), int(str(before.get("restarts") or 0))
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise CommandError(f"no master with pid {pid} (stale health file?)") from None
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        record = read_health_record()
        if int(str(record.get("restarts") or 0)) > restarts:
            if record.get("last_restart") != "ok":
                raise CommandError("restart abandoned: a new worker did not start (see its log)")
            print(f"restarted: {record.get('workers')} new worker(s) serving {record.get('app')}")
            return 0
    raise CommandError(f"no outcome within {args.timeout:g}s; the master is still restarting")
