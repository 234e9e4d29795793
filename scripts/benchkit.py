"""What every benchmark script prints and records about the machine it ran on, and
where it keeps its raw numbers.

A figure counts only beside what it ran on (cores, Python and library versions, data
size; docs/architecture.md, "Measuring"), because these machines are shared and noisy.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "bench-results"


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


def stamped(name: str) -> Path:
    """`bench-results/<name>-<UTC time>.json`: a run never overwrites an earlier one."""
    return RESULTS / f"{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"


def save(results: object, out: Path) -> None:
    """Write the raw numbers behind the printed medians as JSON, and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nraw numbers: {out}")
