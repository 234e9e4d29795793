"""Composing cached renderings into one reply: the marker splice against orjson.Fragment.

    .venv/bin/python scripts/bench_render.py [--rounds 7] [--repeat 200] [--members 250]

Modern caches rendered pieces (a home item, a room summary with its members) and
composes a reply from them plus a few plain domain values. Two ways, side by side:

- `marker`: `modern.wire.dumps`, in use: the standard library's encoder writes each
  `Raw` piece as a marker string carrying a per-process secret, then one regular
  expression pass replaces the markers by the pieces' bytes;
- `fragment`: `orjson.dumps` over the same content, its `default` turning each `Raw`
  piece into an `orjson.Fragment` (orjson >= 3.10), written in place by the encoder,
  and each datetime into the same `modern.wire.format_timestamp` (orjson's own ISO
  format differs: microseconds, `+00:00`). orjson takes only exact `bytes` for a
  Fragment, so each `Raw` piece is copied once: this is what a drop-in `dumps` costs;
- `prewrapped`: the pieces held as `orjson.Fragment` from the start (no copy): what
  a read model keeping Fragments instead of `Raw` would cost.

Two replies, built from the same pieces: the home page (the caller, 20 cached home
items with 3 latest messages each, 10 suggested rooms and 10 recent users as domain
values) and a room list page (50 cached summaries, each with its members' profiles:
`--members` on average, skewed like the case study's, where one page is about 2 MB).
Each round times `--repeat` compositions of each reply in each variant, alternating;
the bytes of the two variants are checked identical first. Prints the median µs per
reply (with the spread over rounds) and the ratio fragment/marker. Needs orjson
(`pip install orjson`); without it only the marker variant runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from benchkit import environment, print_environment  # noqa: E402

from modern.wire import Raw, dumps, format_timestamp  # noqa: E402

try:
    import orjson
except ImportError:  # the marker variant still runs
    orjson = None

START = datetime(2026, 1, 1, tzinfo=UTC)
rng = random.Random(17)


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


def _default(value: object) -> Any:
    if isinstance(value, Raw):
        return orjson.Fragment(bytes(value))
    if isinstance(value, datetime):
        return format_timestamp(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def fragment_dumps(content: object) -> bytes:
    """The reply as orjson writes it, pieces as Fragments (see the module docstring)."""
    assert orjson is not None
    return orjson.dumps(content, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def pages(members: int) -> dict[str, tuple[Any, Any]]:
    """Each reply's content twice: with `Raw` pieces and with `orjson.Fragment` pieces."""
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

    wrap_fragment = orjson.Fragment if orjson is not None else Raw
    return {
        "home": (home(Raw), home(wrap_fragment)),
        "room list": ([Raw(raw) for raw in summaries], [wrap_fragment(raw) for raw in summaries]),
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
    variants: dict[str, Callable[[Any], bytes]] = {"marker": dumps}
    if orjson is not None:
        variants.update(fragment=fragment_dumps, prewrapped=fragment_dumps)
    for name, (marked, fragmented) in pages(args.members).items():
        body = dumps(marked)
        contents = {"marker": marked, "fragment": marked, "prewrapped": fragmented}
        if orjson is not None:
            same = fragment_dumps(marked) == body == fragment_dumps(fragmented)
            print(f"{name}: {len(body) / 1024:.0f} KiB, bytes identical: {same}")
            if not same:
                raise SystemExit("the variants differ: no figure is worth printing")
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
        if orjson is not None:
            print(
                f"  fragment/marker: {medians['fragment'] / medians['marker']:.3f}, "
                f"prewrapped/marker: {medians['prewrapped'] / medians['marker']:.3f}"
            )


if __name__ == "__main__":
    main()
