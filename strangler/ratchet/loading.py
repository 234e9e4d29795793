"""Reading a repository's own packages by name, without leaving traces in the process.

The ratchet inspects code it must not import statically (legacy's route table, the
packages the import-linter contracts cover). Both need the repository root on
`sys.path` for a moment; the app load also needs its modules forgotten afterwards.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

__all__ = ["imports_from"]


@contextmanager
def imports_from(root: Path) -> Iterator[None]:
    """Import with `root` first on sys.path, then forget the root's modules imported meanwhile.

    Forgetting them means a second load in the same process (tests, a long-lived
    tool) reads the files as they are now instead of a stale module object. Only
    packages that live directly in `root` are forgotten: libraries stay imported.
    """
    before = set(sys.modules)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        with suppress(ValueError):  # someone else removed it meanwhile
            sys.path.remove(str(root))
        for name in set(sys.modules) - before:
            top = name.partition(".")[0]
            if (root / top).is_dir() or (root / f"{top}.py").is_file():
                sys.modules.pop(name, None)
