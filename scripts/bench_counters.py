"""What exactly-once flushes cost beside the plain pipeline they replaced, side by side.

    .venv/bin/python scripts/bench_counters.py [--redis-url URL] [--rounds 5]
                                               [--flushes 500] [--fields 60]

Each round times `--flushes` flushes of a batch of `--fields` HINCRBY increments in
each variant, alternating, against the same Redis (a key prefix of its own, deleted
afterwards):

- `plain`: one non-transactional pipeline of HINCRBYs (the flush before, which
  counted a batch twice when Redis applied it but the answer was lost);
- `exact`: `proxy.counters.CounterWriter` (WATCH + GET of the writer's marker, then
  MULTI, the HINCRBYs, SET of the marker, EXEC: one more round trip).

Prints the median µs per flush of each and the ratio exact/plain. A flush runs every
0.5 s per worker and per counting part, off the request path, so the absolute cost
matters more than the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
import uuid

import redis.asyncio

from proxy.counters import Batch, CounterWriter

log = logging.getLogger("bench.counters")


def batch_of(prefix: str, fields: int) -> Batch:
    batch = Batch()
    for n in range(fields):
        batch.hincrby(prefix + "requests", f"route-{n}|legacy", 1)
    return batch


async def plain(client: redis.asyncio.Redis, prefix: str, fields: int, flushes: int) -> float:
    started = time.perf_counter()
    for _ in range(flushes):
        pipe = client.pipeline(transaction=False)
        batch_of(prefix, fields).queue(pipe)
        await pipe.execute()
    return (time.perf_counter() - started) / flushes


async def exact(writer: CounterWriter, prefix: str, fields: int, flushes: int) -> float:
    started = time.perf_counter()
    for _ in range(flushes):
        await writer.flush(lambda: batch_of(prefix, fields))
    return (time.perf_counter() - started) / flushes


async def main(args: argparse.Namespace) -> None:
    client = redis.asyncio.Redis.from_url(args.redis_url)
    prefix = f"bench-counters:{uuid.uuid4().hex[:8]}:"
    writer = CounterWriter(client, prefix, "bench", log=log)
    times: dict[str, list[float]] = {"plain": [], "exact": []}
    try:
        for _ in range(args.rounds):
            times["plain"].append(await plain(client, prefix, args.fields, args.flushes))
            times["exact"].append(await exact(writer, prefix, args.fields, args.flushes))
        total = sum(int(v) for v in (await client.hgetall(prefix + "requests")).values())
        assert total == 2 * args.rounds * args.flushes * args.fields, total
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    medians = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    for name, values in times.items():
        spread = f"{min(values) * 1e6:.0f}–{max(values) * 1e6:.0f}"
        print(f"{name:>6}: {medians[name]:8.0f} µs per flush (rounds {spread})")
    print(f" ratio exact/plain: {medians['exact'] / medians['plain']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flushes", type=int, default=500)
    parser.add_argument("--fields", type=int, default=60)
    asyncio.run(main(parser.parse_args()))
