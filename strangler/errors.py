"""The one error type a subcommand raises to stop with a clear one-line message."""

from __future__ import annotations


class CommandError(Exception):
    """Ends the command with `strangler: <message>` on stderr and exit code `exit_code`."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
