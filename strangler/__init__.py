"""The `strangler` command line: runs the local stack and the migration tooling.

- `cli` parses arguments and dispatches to one module per subcommand in `commands/`.
  Every module there exposes `register(subparsers)`; `cli` discovers them, so adding
  a subcommand never edits a shared list.
- `embedded_db` starts and stops the embedded MongoDB-compatible server.
- `ratchet/` is the architectural ratchet CI runs (`strangler ratchet`): the migration
  may only move forward. It lives here, not in `proxy`, because it is tooling that loads
  apps and import-linter; the proxy runtime never imports `strangler`.
- The apps (legacy, modern, proxy) are started by import string in child processes;
  this package never imports legacy or modern (an import-linter contract).
"""
