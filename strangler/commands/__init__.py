"""One module per `strangler` subcommand; each defines `register(subparsers)`."""
