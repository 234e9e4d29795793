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
    url = args.url or _recorded_url()
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


def _recorded_url() -> str:
    path = os.environ.get(HEALTH_FILE_ENV)
    if not path:
        raise CommandError(f"give a URL, or set {HEALTH_FILE_ENV} for `strangler serve`")
    try:
        return str(json.loads(Path(path).read_text(encoding="utf-8"))["url"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # Not written yet (still starting) or gone (stopping): unhealthy, not a crash.
        raise CommandError(f"nothing serving: {path}: {exc}", exit_code=UNHEALTHY) from None
