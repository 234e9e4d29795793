"""Entry point of the `strangler` console script.

Subcommands live in `strangler.commands`, one module each, discovered at start-up.
A module's `register(subparsers)` adds its parser and sets `handler` to a callable
taking the parsed namespace and returning an exit code. Errors a user can act on
are raised as `CommandError` and printed as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from strangler import commands
from strangler.errors import CommandError

# Modules that come with an optional extra, and the extra that brings them: a command
# that needs one says which `pip install` fixes it instead of printing a traceback.
OPTIONAL_MODULES = {"importlinter": "ratchet", "grimp": "ratchet"}
MISSING_EXTRA = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strangler",
        description="Migrate a live web app endpoint by endpoint behind a strangler-fig proxy.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"strangler: {exc}", file=sys.stderr)
        return exc.exit_code
    except ModuleNotFoundError as exc:
        extra = OPTIONAL_MODULES.get((exc.name or "").partition(".")[0])
        if extra is None:
            raise
        print(
            f"strangler: {args.command} needs the {extra!r} extra "
            f"(missing module {exc.name}): pip install 'strangler[{extra}]'",
            file=sys.stderr,
        )
        return MISSING_EXTRA
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
