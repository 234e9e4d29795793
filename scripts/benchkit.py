"""What every benchmark script prints and records about the machine it ran on.

A figure counts only beside what it ran on (cores, Python and library versions, data
size; docs/architecture.md, "Measuring"), because these machines are shared and noisy.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from importlib import metadata
from typing import Any


def environment(packages: Iterable[str], **extra: Any) -> dict[str, Any]:
    """Cores, platform, Python, the named packages' versions (None if absent), load, extras."""
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "load_average_at_start": os.getloadavg(),
        "database": "MONGODB_URI" if os.environ.get("MONGODB_URI") else "embedded SecantusDB",
        **extra,
    }


def print_environment(script: str, info: dict[str, Any]) -> None:
    """The lines every bench prints first: machine, versions, load at start."""
    print(f"{script} on {info['cores']} cores, {info['platform']}")
    print(f"Python {info['python']}; " + ", ".join(
        f"{name} {version}" for name, version in info["packages"].items()
    ))  # fmt: skip
    print(f"load average at start: {info['load_average_at_start']}")
