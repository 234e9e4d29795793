"""`strangler seed`: fill the social app's database with deterministic demo data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pymongo
from pymongo.errors import PyMongoError

from strangler.errors import CommandError
from strangler.seed import PRESETS, SEED_PASSWORD, DatabaseNotEmptyError, config_for, seed_database
from strangler.stack import DEFAULT_DATA_DIR, StackError, database


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "seed",
        help="fill the database with generated users, rooms and messages",
        description=(
            "Write a deterministic data set (the same --seed gives the same data) into "
            "MONGODB_URI's database, or into the embedded server over --data-dir when "
            f"MONGODB_URI is unset. Every seeded user's password is {SEED_PASSWORD!r}; "
            "the first user is 'demo'. A non-empty database is refused unless --drop "
            "(wipe users, sessions, rooms and messages first) or --force (insert beside "
            "the existing data)."
        ),
    )
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default="demo",
        help="demo: 50 users, 10 rooms, 1,000 messages over 30 days (default); "
        "case-study: 5,000 users, 500 rooms, 200,000 messages over two years",
    )  # fmt: skip
    for size in ("users", "rooms", "messages"):
        parser.add_argument(f"--{size}", type=int, metavar="N", help=f"number of {size}")
    parser.add_argument("--seed", type=int, metavar="N", help="random seed (default 1)")
    wipe = parser.add_mutually_exclusive_group()
    wipe.add_argument("--drop", action="store_true", help="wipe the app's collections first")
    wipe.add_argument("--force", action="store_true", help="insert even into a non-empty db")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR,
        help="embedded server's data directory when MONGODB_URI is unset (%(default)s)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = config_for(
            args.preset, users=args.users, rooms=args.rooms, messages=args.messages, seed=args.seed
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    try:
        with database(args.data_dir) as db_info:
            client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
                db_info.uri, tz_aware=True
            )
            try:
                db = client.get_default_database()
                counts = seed_database(db, config, drop=args.drop, force=args.force)
            finally:
                client.close()
    except DatabaseNotEmptyError as exc:
        raise CommandError(f"{exc}; use --drop to wipe it first or --force to add to it") from None
    except StackError as exc:
        raise CommandError(str(exc)) from None
    except PyMongoError as exc:
        raise CommandError(f"database error: {exc}".splitlines()[0]) from None
    summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    print(f"seeded {db.name}: {summary} (seed {config.seed}; password {SEED_PASSWORD!r})")
    return 0
