"""Composing cached renderings into one reply: orjson with Fragments against the old marker splice.

    .venv/bin/python scripts/bench_render.py [--rounds 7] [--repeat 200] [--members 250]

Modern caches rendered pieces (a home item, a room summary with its members) and
composes a reply from them plus a few plain domain values. Two ways, side by side:

- `fragment`: `modern.wire.dumps`, in use: orjson writes the reply, each cached piece
  (`modern.wire.Raw`) as the `orjson.Fragment` it holds (made once from its bytes, no
  copy), each datetime as `modern.wire.format_timestamp`;
- `marker`: the way before it, kept here as the reference (`marker_dumps`, the old
  `modern.wire.dumps`): the standard library's encoder writes each piece as a marker
  string carrying a per-process secret, then one regular expression pass replaces the
  markers by the pieces' bytes.

Two replies, built from the same pieces: the home page (the caller, 20 cached home
items with 3 latest messages each, 10 suggested rooms and 10 recent users as domain
values) and a room list page (50 cached summaries, each with its members' profiles:
`--members` on average, skewed like the case study's, where one page is about 2 MB).
Each round times `--repeat` compositions of each reply in each variant, alternating.

Before any timing, the bytes are checked: both replies identical in both ways, and a
table of edge cases (non-ASCII, control characters, escapes, key order, 64-bit
integers, floats) identical to the standard library's encoder; the values where
orjson is known to differ (`modern.wire`'s docstring: none reaches a reply) are
checked to still be exactly those. Prints the median µs per reply (with the spread
over rounds) and the ratio fragment/marker.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from benchkit import environment, print_environment  # noqa: E402

from modern.wire import Raw, dumps, format_timestamp  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=UTC)
rng = random.Random(17)


# -- the reference: the marker splice modern used before orjson ------------------------


class MarkedRaw(bytes):
    """The old `modern.wire.Raw`: rendered JSON as a bytes subclass."""


_MARK = f"\x00raw-{secrets.token_hex(8)}-"
_MARKED = re.compile(rb'"\\u0000raw-' + _MARK[5:].encode() + rb'(\d+)"')


def marker_dumps(content: object) -> bytes:
    """The old `modern.wire.dumps`: each `MarkedRaw` written as a marker string by the
    standard library's encoder, the markers then replaced by the pieces' bytes."""
    if isinstance(content, MarkedRaw):
        return bytes(content)
    fragments: list[bytes] = []

    def default(value: object) -> Any:
        if isinstance(value, MarkedRaw):
            fragments.append(value)
            return f"{_MARK}{len(fragments) - 1}"
        if isinstance(value, datetime):
            return format_timestamp(value)
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    out = json.dumps(
        content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=default
    ).encode("utf-8")
    if fragments:
        out = _MARKED.sub(lambda match: fragments[int(match[1])], out)
    return out


# -- the bytes: edge cases against the standard library ---------------------------------

SAME = {
    "non-ASCII": "é ✓ 🎉 \u2028\u2029 \ufeff 中文",
    "escapes": "\"quoted\" back\\slash /slash \n\r\t\b\f",
    "control characters": "".join(map(chr, range(32))) + "\x7f",
    "key order": {"b": 1, "a": 2, "é": 3, "": 4, "A": 5},
    "64-bit integers": [0, -1, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1],
    "literals": [True, False, None, [], {}],
    "floats": [0.0, -0.0, 1.0, 0.1, 0.30000000000000004, 1e-4, 123.456, 1e15, 1e16, 1e22,
               1.7976931348623157e308, 5e-324, 1e-10, 2.5e-300],
    "timestamps": [START, START.replace(tzinfo=None), START + timedelta(microseconds=999999)],
}  # fmt: skip
# Where orjson writes other bytes than the standard library (or writes where it
# refused): values no reply holds. Checked so that `modern.wire`'s list stays true.
DIFFER = {
    "float 1e-05": 1e-05,
    "float -7.185e-09": -7.1850441006303285e-09,
    "NaN": math.nan,
    "integer 2**64": 2**64,
    "UUID": uuid.UUID(int=0),
}


def _outcome(encode: Callable[[object], bytes], value: object) -> bytes | str:
    try:
        return encode(value)
    except (TypeError, ValueError) as exc:
        return f"refused ({type(exc).__name__})"


def check_edges() -> None:
    for name, value in SAME.items():
        new, old = dumps({"v": value}), marker_dumps({"v": value})
        if new != old:
            raise SystemExit(f"{name}: {new!r} != {old!r}: no figure is worth printing")
    print(f"edge cases identical: {', '.join(SAME)}")
    for name, value in DIFFER.items():
        new, old = _outcome(dumps, value), _outcome(marker_dumps, value)
        if new == old:
            raise SystemExit(f"{name}: now identical ({new!r}): update modern.wire's docstring")
        print(f"  differs, never in a reply: {name}: {old!r} -> {new!r}")


# -- the replies -----------------------------------------------------------------------


def _id() -> str:
    return f"{rng.getrandbits(96):024x}"


def _at() -> datetime:
    return START + timedelta(milliseconds=rng.randrange(10**10))


def user() -> dict[str, Any]:
    name = f"user{rng.randrange(10**6)}"
    return {
        "id": _id(), "username": name, "display_name": f"{name.title()} Ünïcode ✓",
        "bio": "likes \"quotes\", tabs\tand émojis 🎉" if rng.random() < 0.5 else None,
        "avatar_url": f"https://example.test/{name}.png" if rng.random() < 0.3 else None,
        "created_at": _at(), "last_seen_at": _at() if rng.random() < 0.9 else None,
    }  # fmt: skip


def room(members: int) -> dict[str, Any]:
    return {
        "id": _id(), "name": f"room {rng.randrange(10**4)}", "topic": "a topic",
        "owner_id": _id(), "member_ids": [_id() for _ in range(members)],
        "created_at": _at(), "last_message_at": _at(),
    }  # fmt: skip


def message(room_id: str) -> dict[str, Any]:
    return {
        "id": _id(), "room_id": room_id, "author_id": _id(),
        "text": "hello ✓ " * rng.randrange(1, 30), "created_at": _at(),
        "edited_at": None, "deleted": False, "reactions": {"👍": [_id(), _id()]},
    }  # fmt: skip


def pages(members: int) -> dict[str, tuple[Any, Any]]:
    """Each reply's content twice: pieces as `Raw` (now) and as `MarkedRaw` (before)."""
    home_items = []
    for _ in range(20):
        item = room(rng.randrange(2, 60))
        item["latest_messages"] = [message(item["id"]) for _ in range(3)]
        home_items.append(dumps(item))
    summaries = []
    for _ in range(50):
        size = min(2000, int(rng.paretovariate(1.2) * members / 6))
        item = room(size)
        item["members"] = [user() for _ in range(size)]
        item["message_count"] = rng.randrange(10**5)
        summaries.append(dumps(item))
    caller = user()
    plain = {
        "suggested_rooms": [room(rng.randrange(2, 200)) for _ in range(10)],
        "recent_users": [user() for _ in range(10)],
    }

    def home(wrap: Callable[[bytes], Any]) -> dict[str, Any]:
        return {"user": caller, "rooms": [wrap(raw) for raw in home_items], **plain}

    return {
        "home": (home(Raw), home(MarkedRaw)),
        "room list": ([Raw(raw) for raw in summaries], [MarkedRaw(raw) for raw in summaries]),
    }


def timed(compose: Callable[[Any], bytes], content: Any, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        compose(content)
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--members", type=int, default=250)
    args = parser.parse_args()
    print_environment("bench_render", environment(["orjson"], members=args.members))
    check_edges()
    variants: dict[str, Callable[[Any], bytes]] = {"fragment": dumps, "marker": marker_dumps}
    for name, (fragmented, marked) in pages(args.members).items():
        body = marker_dumps(marked)
        same = dumps(fragmented) == body
        print(f"{name}: {len(body) / 1024:.0f} KiB, bytes identical: {same}")
        if not same:
            raise SystemExit("the variants differ: no figure is worth printing")
        contents = {"fragment": fragmented, "marker": marked}
        samples: dict[str, list[float]] = {variant: [] for variant in variants}
        for _ in range(args.rounds):
            for variant, compose in variants.items():  # alternated within each round
                samples[variant].append(timed(compose, contents[variant], args.repeat))
        medians = {variant: statistics.median(times) for variant, times in samples.items()}
        for variant, times in samples.items():
            print(
                f"  {variant:9} median {medians[variant]:9.1f} µs/reply "
                f"(rounds {min(times):.1f}–{max(times):.1f})"
            )
        print(f"  fragment/marker: {medians['fragment'] / medians['marker']:.3f}")


if __name__ == "__main__":
    main()
