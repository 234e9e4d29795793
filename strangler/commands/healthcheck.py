"""`strangler healthcheck [URL]`: exit 0 when the served app's health endpoint answers 200.

The image's HEALTHCHECK runs it with no argument: `strangler serve` recorded its
app's health URL in $STRANGLER_HEALTH_FILE, so one image-wide check fits whichever
app the container's command chose. Standard library only: it runs every few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from strangler.errors import CommandError

HEALTH_FILE_ENV = "STRANGLER_HEALTH_FILE"
TIMEOUT = 4.0
UNHEALTHY = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "healthcheck",
        help="probe the served app's health endpoint (for container health checks)",
        description=(
            "GET the URL (default: the one `strangler serve` recorded in "
            f"${HEALTH_FILE_ENV}); exit 0 on 200, 1 otherwise."
        ),
    )
    parser.add_argument("url", nargs="?", help="health URL (default: from the health file)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    url = args.url or str(read_health_record().get("url"))
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as reply:
            status = reply.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}")
        return UNHEALTHY
    print(f"{'healthy' if status == 200 else 'unhealthy'}: {url}: {status}")
    return 0 if status == 200 else UNHEALTHY


def read_health_record() -> dict[str, object]:
    """What `strangler serve` recorded: app, master pid, health URL, restarts."""
    path = os.environ.get(HEALTH_FILE_ENV)
    if not path:
        raise CommandError(f"set {HEALTH_FILE_ENV} as for `strangler serve` (or give a URL)")
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(record, dict) or "url" not in record:
            raise ValueError("not a health record")
        return record
    except (OSError, ValueError) as exc:
        # Not written yet (still starting) or gone (stopping): unhealthy, not a crash.
        raise CommandError(f"nothing serving: {path}: {exc}", exit_code=UNHEALTHY) from None
