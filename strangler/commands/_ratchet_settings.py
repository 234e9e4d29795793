"""What the commands that read `[tool.strangler.ratchet]` share: `ratchet`, `report`, `writeback`.

One `--root` option, one settings loader and one rule for the ratchet's configuration
errors (a usage error: its one line, exit 2), so all three read the same settings and
fail the same way. Not a subcommand (the leading underscore keeps `strangler.cli` from
registering it). The ratchet is imported inside the functions: every command module is
imported whenever the parser is built, and that must stay light.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strangler.errors import CommandError

if TYPE_CHECKING:
    from strangler.ratchet import RatchetSettings

__all__ = ["CONFIG_ERROR", "add_root_argument", "config_errors", "ratchet_settings"]

CONFIG_ERROR = 2


def add_root_argument(parser: Any) -> None:
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), metavar="DIR",
        help="repository root holding pyproject.toml (default: the current directory)",
    )  # fmt: skip


def ratchet_settings(root: Path) -> RatchetSettings:
    from strangler.ratchet import load_settings

    with config_errors():
        return load_settings(root)


@contextmanager
def config_errors() -> Iterator[None]:
    """A ratchet configuration error is a usage error: its one line, exit 2."""
    from strangler.ratchet import RatchetConfigError

    try:
        yield
    except RatchetConfigError as exc:
        raise CommandError(str(exc), exit_code=CONFIG_ERROR) from None
