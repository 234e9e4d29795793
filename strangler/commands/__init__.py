"""One module per `strangler` subcommand; each defines `register(subparsers)`.

A module whose name starts with `_` is not a subcommand but what several share
(`_ratchet_settings`: `--root` and the ratchet's settings); `strangler.cli` skips it.
"""
