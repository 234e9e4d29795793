"""Simulated users through the proxy: how many hold p95 under a second, before and after.

    .venv/bin/python scripts/load_users.py [--data case-study] [--steps 1,2,5,10,...]
                                           [--step-seconds 40] [--think 4]
                                           [--variants before,after] [--short]
                                           [--steady USERS --steady-seconds 600]

One run, one machine, one seeded database: legacy and modern run once, and two
proxies sit in front of them, `before` with every route at `legacy` and `after` with
every route at `modern` (route tables generated from the repository's routes.yaml).
Each virtual user logs in, holds a live WebSocket to one of its rooms, and then, with
exponential think time, browses like a person: the home page, the room list, a room
and its messages, search, a profile, and now and then a post. Users are added in
steps; each step is held long enough to be steady (the first seconds after a ramp
are not measured), and reports requests/s, p50/p95/p99 per endpoint, errors, and the
WebSocket delivery delay (post sent → `message.created` received by another member).
A variant stops at the first step where p95 over all requests passes `--p95-limit`
or any request fails; the highest step that held is its **concurrent users** figure.

`--steady N` then holds N users on `after` for `--steady-seconds` and prints p99 and
the slowest call per endpoint over that whole phase, across cache expiries.

Writes JSON and an SVG plot of p95 against users for both variants. Posts are
undone afterwards (the messages deleted, the rooms' `last_message_at` restored, the
load's sessions removed) so the seeded data set stays as it was. The load comes from
this process (asyncio, aiohttp) and targets 127.0.0.1 only; every loop is bounded by
the step plan. Database-bound figures are this engine's (SecantusDB, much slower than
MongoDB), not production latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pymongo
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from appkit import data_set, ensure_seeded, forget_cache  # noqa: E402  (scripts/ is on sys.path)
from benchkit import environment, print_environment  # noqa: E402
from load_plot import write_svg  # noqa: E402

from strangler.embedded_db import free_port  # noqa: E402
from strangler.seed import SEED_PASSWORD  # noqa: E402
from strangler.stack import Supervisor, database, uvicorn_command  # noqa: E402

PACKAGES = ("fastapi", "uvicorn", "aiohttp", "pymongo", "redis", "SecantusDB")
MARKER = "load-test "  # the text every post starts with, so cleanup finds them
ACTIONS = {  # endpoint → share of a user's actions
    "home": 0.20,
    "rooms": 0.15,
    "room": 0.10,
    "messages": 0.20,
    "search": 0.10,
    "profile": 0.15,
    "post": 0.10,
}
SEARCH_TERMS = ("an", "el", "ma", "ro", "general", "data", "li", "design")
REQUEST_TIMEOUT = 15.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="case-study", help="case-study | small | demo")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="embedded database directory (default .strangler/bench/<data>)",
    )
    parser.add_argument(
        "--steps",
        default="1,2,5,10,25,50,100,200,400,800,1200",
        help="concurrent users per step, ascending",
    )
    parser.add_argument("--step-seconds", type=float, default=40.0, help="hold per step")
    parser.add_argument(
        "--settle-seconds", type=float, default=8.0, help="not measured after each ramp"
    )
    parser.add_argument("--think", type=float, default=4.0, help="mean think time, seconds")
    parser.add_argument("--p95-limit", type=float, default=1.0, help="seconds")
    parser.add_argument("--variants", default="before,after")
    parser.add_argument(
        "--warmup-seconds", type=float, default=240.0,
        help="per variant, before the steps: every room, the room list, search (not measured)",
    )  # fmt: skip
    parser.add_argument("--modern-workers", type=int, default=2)
    parser.add_argument("--proxy-workers", type=int, default=2)
    parser.add_argument("--steady", type=int, default=0, help="users for the steady phase")
    parser.add_argument("--steady-seconds", type=float, default=600.0)
    parser.add_argument("--cache-ttl", type=int, default=30, help="MODERN_CACHE_TTL")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-results/load.json")
    parser.add_argument("--plot", type=Path, default=None, help="SVG (default: beside --out)")
    parser.add_argument(
        "--short",
        action="store_true",
        help="a few users for seconds on the demo data (the test suite's mode)",
    )
    parser.add_argument(
        "--post-share", type=float, default=ACTIONS["post"], help="share of actions that post"
    )
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)  # fmt: skip
    if args.short:
        args.data, args.steps, args.step_seconds, args.settle_seconds = "demo", "1,3", 4.0, 1.0
        args.think, args.modern_workers, args.proxy_workers = 0.3, 1, 1
        args.warmup_seconds = min(args.warmup_seconds, 10.0)
    args.plot = args.plot or args.out.with_suffix(".svg")
    args.step_list = [int(s) for s in args.steps.split(",") if s]
    if args.step_list != sorted(args.step_list) or min(args.step_list) < 1:
        parser.error("--steps must be ascending positive user counts")
    return args


def route_table(stage: str) -> str:
    """The repository's routes.yaml with every route at `stage` (no shadow, no canary)."""
    doc = yaml.safe_load((REPO_ROOT / "routes.yaml").read_text(encoding="utf-8"))
    for route in doc["routes"]:
        route["stage"] = stage
        for key in ("canary", "rollback", "shadow", "autopilot", "analysis", "guardrail"):
            route.pop(key, None)
        if stage != "modern":
            route.pop("fallback", None)
    return yaml.safe_dump(doc, sort_keys=False)


# -- what the users do ---------------------------------------------------------------


@dataclass
class Sample:
    endpoint: str
    seconds: float
    ok: bool
    at: float
    status: int = 0


@dataclass
class Recorder:
    """Every finished request and WebSocket delivery, with its wall-clock time."""

    samples: list[Sample] = field(default_factory=list)
    deliveries: list[tuple[float, float]] = field(default_factory=list)  # (at, delay)
    posted: dict[str, float] = field(default_factory=dict)  # post text → sent at
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, endpoint: str, seconds: float, ok: bool, status: int, what: str) -> None:
        self.samples.append(Sample(endpoint, seconds, ok, time.monotonic(), status))
        if not ok:
            key = f"{endpoint}: {what}"
            self.errors[key] = self.errors.get(key, 0) + 1


@dataclass
class Person:
    """A seeded user the load logs in as: one of their rooms, and what they browse."""

    username: str
    user_id: str
    room_id: str


class VirtualUser:
    """One person: log in, hold a WebSocket to a room, browse with think time."""

    def __init__(self, base: str, person: Person, shared: Shared, rng: random.Random) -> None:
        self.base, self.person, self.shared, self.rng = base, person, shared, rng
        self.token = ""

    async def run(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        await asyncio.sleep(self.rng.uniform(0, 1.0))  # users do not arrive in lockstep
        if not await self._login(session):
            return
        socket = asyncio.create_task(self._listen(session, stop))
        try:
            while not stop.is_set():
                think = self.rng.expovariate(1 / self.shared.think)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=think)
                except TimeoutError:
                    await self._act(session)
        finally:
            socket.cancel()
            await asyncio.gather(socket, return_exceptions=True)

    async def _login(self, session: aiohttp.ClientSession) -> bool:
        body = {"username": self.person.username, "password": SEED_PASSWORD}
        reply = await self._request(session, "login", "POST", "/api/auth/login", body)
        if reply is None:
            return False
        self.token = reply["token"]
        self.shared.tokens.append(self.token)
        return True

    async def _act(self, session: aiohttp.ClientSession) -> None:
        endpoint = self.rng.choices(list(self.shared.actions), self.shared.actions.values())[0]
        room = self.rng.choice(self.shared.room_ids)
        paths = {
            "home": "/api/home",
            "rooms": "/api/rooms",
            "room": f"/api/rooms/{room}",
            "messages": f"/api/rooms/{room}/messages",
            "search": f"/api/search?q={self.rng.choice(SEARCH_TERMS)}",
            "profile": f"/api/users/{self.rng.choice(self.shared.user_ids)}",
        }
        if endpoint == "post":
            text = f"{MARKER}{uuid.uuid4().hex}"
            self.shared.recorder.posted[text] = time.monotonic()
            path = f"/api/rooms/{self.person.room_id}/messages"
            await self._request(session, "post", "POST", path, {"text": text})
        else:
            await self._request(session, endpoint, "GET", paths[endpoint], None)

    async def _request(
        self, session: aiohttp.ClientSession, endpoint: str, method: str, path: str, body: Any
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        started = time.monotonic()
        recorder = self.shared.recorder
        try:
            async with session.request(
                method,
                self.base + path,
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            ) as r:
                payload = await r.read()  # fmt: skip
                ok = r.status < 400
                recorder.add(endpoint, time.monotonic() - started, ok, r.status, f"HTTP {r.status}")
                return json.loads(payload) if ok and endpoint == "login" else None
        except (TimeoutError, aiohttp.ClientError) as exc:
            recorder.add(endpoint, time.monotonic() - started, False, 0, type(exc).__name__)
            return None

    async def _listen(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        url = f"{self.base.replace('http', 'ws', 1)}/ws/rooms/{self.person.room_id}"
        recorder = self.shared.recorder
        try:
            async with session.ws_connect(url, params={"token": self.token}, heartbeat=30) as ws:
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        continue
                    event = json.loads(message.data)
                    text = (event.get("message") or {}).get("text", "")
                    sent = recorder.posted.get(text)
                    author = (event.get("message") or {}).get("author_id")
                    if sent is not None and author != self.person.user_id:
                        now = time.monotonic()
                        recorder.deliveries.append((now, now - sent))
        except (aiohttp.ClientError, TimeoutError) as exc:
            if not stop.is_set():
                recorder.add("websocket", 0.0, False, 0, type(exc).__name__)


@dataclass
class Shared:
    """What every user of one variant reads: targets, think time, the recorder."""

    room_ids: list[str]
    user_ids: list[str]
    think: float
    actions: dict[str, float]
    recorder: Recorder = field(default_factory=Recorder)
    tokens: list[str] = field(default_factory=list)


# -- steps and figures ---------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def figures(samples: list[Sample], deliveries: list[float], seconds: float) -> dict[str, Any]:
    """Requests/s, p50/p95/p99 per endpoint and overall (ms), errors, WebSocket delay."""
    by_endpoint: dict[str, list[float]] = {}
    for sample in samples:
        if sample.ok:
            by_endpoint.setdefault(sample.endpoint, []).append(sample.seconds)

    def summary(values: list[float]) -> dict[str, Any]:
        return {"n": len(values), **{
            name: None if (v := percentile(values, q)) is None else round(v * 1000, 1)
            for name, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99))
        }, "max_ms": round(max(values) * 1000, 1) if values else None}  # fmt: skip

    every = [s.seconds for s in samples if s.ok]
    return {
        "requests": len(samples),
        "requests_per_s": round(len(samples) / seconds, 1) if seconds else None,
        "errors": sum(1 for s in samples if not s.ok),
        "overall": summary(every),
        "endpoints": {name: summary(values) for name, values in sorted(by_endpoint.items())},
        "websocket_delay": summary(deliveries),
    }


async def progress(name: str, users: int, recorder: Recorder, first: int, seconds: float) -> None:
    """Hold the step, printing a line every few seconds so a long run shows it is alive."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(10.0, left))
        window = recorder.samples[first:]
        failed = sum(1 for sample in window if not sample.ok)
        print(
            f"  {name} {users} users: {len(window)} requests, {failed} failed, "
            f"{max(0.0, deadline - time.monotonic()):.0f} s left",
            flush=True,
        )


async def warm_up(base: str, people: list[Person], shared: Shared, seconds: float) -> None:
    """Read what the users will read, once, so the steps measure a warm service (the
    cold first reads are modern's start-up, not its steady state). Not measured."""
    paths = ["/api/rooms", "/api/home"] + [f"/api/search?q={term}" for term in SEARCH_TERMS]
    for room in shared.room_ids:
        paths += [f"/api/rooms/{room}", f"/api/rooms/{room}/messages"]
    deadline = time.monotonic() + seconds
    done = 0
    timeout = aiohttp.ClientTimeout(total=max(1.0, seconds))
    async with aiohttp.ClientSession(timeout=timeout) as session:
        login = {"username": people[0].username, "password": SEED_PASSWORD}
        async with session.post(base + "/api/auth/login", json=login) as reply:
            token = (await reply.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        queue = iter(paths)

        async def reader() -> None:
            nonlocal done
            for path in queue:
                if time.monotonic() > deadline:
                    return
                with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                    async with session.get(base + path, headers=headers) as reply:
                        await reply.read()
                        done += 1

        await asyncio.gather(*(reader() for _ in range(4)))
        shared.tokens.append(token)
    took = seconds - (deadline - time.monotonic())
    print(f"warm-up: {done} of {len(paths)} reads in {took:.0f} s", flush=True)


async def run_variant(
    name: str, base: str, people: list[Person], shared: Shared, args: argparse.Namespace
) -> dict[str, Any]:
    """Ramp through the steps; stop at the first that breaks the limit or fails."""
    stop = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    rng = random.Random(args.seed)
    steps: list[dict[str, Any]] = []
    tasks: list[asyncio.Task[None]] = []
    held = 0
    recorder = shared.recorder
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as s:
        try:
            for users in args.step_list:
                if users > len(people):
                    print(f"{name}: only {len(people)} users seeded; stopping", flush=True)
                    break
                for person in people[len(tasks) : users]:
                    user = VirtualUser(base, person, shared, random.Random(rng.random()))
                    tasks.append(asyncio.create_task(user.run(s, stop)))
                await asyncio.sleep(args.settle_seconds)
                start, first = time.monotonic(), len(recorder.samples)
                first_delivery = len(recorder.deliveries)
                await progress(name, users, recorder, first, args.step_seconds)
                seconds = time.monotonic() - start
                window = recorder.samples[first:]
                delays = [d for _, d in recorder.deliveries[first_delivery:]]
                step = {"users": users, "seconds": round(seconds, 1),
                        **figures(window, delays, seconds)}  # fmt: skip
                steps.append(step)
                p95 = step["overall"]["p95_ms"]
                print(f"{name}: {users:>5} users  {step['requests_per_s']:>7} req/s  "
                      f"p95 {p95} ms  p99 {step['overall']['p99_ms']} ms  "
                      f"errors {step['errors']}  ws p95 {step['websocket_delay']['p95_ms']} ms",
                      flush=True)  # fmt: skip
                crashed = [t for t in tasks if t.done() and t.exception() is not None]
                if crashed:
                    raise RuntimeError(f"a virtual user crashed: {crashed[0].exception()!r}")
                if step["errors"] or p95 is None or p95 > args.p95_limit * 1000:
                    why = f"{step['errors']} errors" if step["errors"] else f"p95 {p95} ms"
                    print(f"{name}: step of {users} users did not hold ({why})", flush=True)
                    break
                held = users
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
    posts = sum(1 for sample in recorder.samples if sample.endpoint == "post" and sample.ok)
    return {
        "steps": steps,
        "concurrent_users": held,
        "errors": dict(recorder.errors),
        "posts_made": posts,
    }


async def run_steady(
    base: str, people: list[Person], shared: Shared, args: argparse.Namespace
) -> dict[str, Any]:
    """Hold `--steady` users on one variant and report the whole phase."""
    stop = asyncio.Event()
    rng = random.Random(args.seed + 1)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     cookie_jar=aiohttp.DummyCookieJar()) as s:  # fmt: skip
        tasks = [asyncio.create_task(VirtualUser(base, p, shared, random.Random(rng.random()))
                                     .run(s, stop)) for p in people[:args.steady]]  # fmt: skip
        await asyncio.sleep(args.settle_seconds)
        start, first = time.monotonic(), len(shared.recorder.samples)
        deadline = start + args.steady_seconds
        while (now := time.monotonic()) < deadline:
            await asyncio.sleep(min(60.0, deadline - now))
            window = shared.recorder.samples[first:]
            print(f"steady: {now - start:5.0f} s, {len(window)} requests, "
                  f"{sum(1 for x in window if not x.ok)} errors", flush=True)  # fmt: skip
        seconds = time.monotonic() - start
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    delays = [d for at, d in shared.recorder.deliveries if at >= start]
    return {"users": args.steady, **figures(shared.recorder.samples[first:], delays, seconds)}


# -- the stand: database, apps, proxies ----------------------------------------------


@dataclass
class Stand:
    db: Any
    urls: dict[str, str]
    people: list[Person]
    room_ids: list[str]
    user_ids: list[str]


@contextmanager
def stand(args: argparse.Namespace) -> Iterator[Stand]:
    """Seed (once), then legacy, modern and one proxy per variant, all on loopback."""
    data_dir = args.data_dir or REPO_ROOT / ".strangler/bench" / args.data / "data"
    prefix = f"load-{uuid.uuid4().hex[:8]}:"
    supervisor = Supervisor()
    with database(data_dir) as info, tempfile.TemporaryDirectory() as scratch:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(info.uri)
        db = client.get_default_database()
        ensure_seeded(db, data_set(args.data))
        rooms_before = {r["_id"]: r.get("last_message_at") for r in
                        db.rooms.find({}, {"last_message_at": 1})}  # fmt: skip
        try:
            env = {**os.environ, "MONGODB_URI": info.uri, "REDIS_URL": args.redis_url}
            urls = {}
            for app, workers, extra in (
                ("legacy", 1, {}),  # legacy's live events reach only its own process
                ("modern", args.modern_workers,
                 {"REDIS_KEY_PREFIX": prefix + "modern:", "MODERN_CACHE_TTL": str(args.cache_ttl)}),
            ):  # fmt: skip
                port = free_port()
                urls[app] = f"http://127.0.0.1:{port}"
                command = uvicorn_command(f"{app}.app:app", host="127.0.0.1", port=port,
                                          workers=workers)  # fmt: skip
                supervisor.spawn(app, command, {**env, **extra})
                supervisor.wait_ready(app, urls[app] + "/healthz", timeout=1800)
            for variant, stage in (("before", "legacy"), ("after", "modern")):
                routes = Path(scratch) / f"routes-{variant}.yaml"
                routes.write_text(route_table(stage), encoding="utf-8")
                port = free_port()
                urls[variant] = f"http://127.0.0.1:{port}"
                command = uvicorn_command("proxy.app:app", host="127.0.0.1", port=port,
                                          workers=args.proxy_workers)  # fmt: skip
                supervisor.spawn(variant, command, {
                    **env, "STRANGLER_ROUTES": str(routes), "LEGACY_URL": urls["legacy"],
                    "MODERN_URL": urls["modern"], "REDIS_KEY_PREFIX": f"{prefix}{variant}:",
                })  # fmt: skip
                supervisor.wait_ready(variant, urls[variant] + "/_strangler/readyz")
            yield Stand(db, urls, *people_of(db, args))
        finally:
            supervisor.stop_all()
            undo(db, rooms_before)
            client.close()
            forget_cache(args.redis_url, prefix)


def people_of(db: Any, args: argparse.Namespace) -> tuple[list[Person], list[str], list[str]]:
    """Seeded users who are in at least one room, busiest rooms' members first: each holds
    its WebSocket to, and posts in, the busiest room it belongs to, so that posts have
    listeners (as in a real chat, where most people sit in the popular rooms)."""
    rng = random.Random(args.seed)
    names = {str(u["_id"]): u["username"] for u in db.users.find({}, {"username": 1})}
    rooms = sorted(db.rooms.find({}, {"member_ids": 1}),
                   key=lambda r: (-len(r.get("member_ids", [])), str(r["_id"])))  # fmt: skip
    people: list[Person] = []
    placed: set[str] = set()
    for room in rooms:
        members = [str(m) for m in room.get("member_ids", []) if str(m) not in placed]
        rng.shuffle(members)
        placed.update(members)
        people += [Person(names[m], m, str(room["_id"])) for m in members if m in names]
    return people, [str(r["_id"]) for r in rooms], list(names)


def undo(db: Any, rooms_before: dict[Any, Any]) -> None:
    """Delete the load's posts and restore each room's activity time."""
    deleted = db.messages.delete_many({"text": {"$regex": f"^{MARKER}"}}).deleted_count
    restored = 0
    for room in db.rooms.find({}, {"last_message_at": 1}):
        before = rooms_before.get(room["_id"])
        if room.get("last_message_at") != before:
            db.rooms.update_one({"_id": room["_id"]}, {"$set": {"last_message_at": before}})
            restored += 1
    print(f"undone: {deleted} posts deleted, {restored} rooms restored", flush=True)


async def measure(args: argparse.Namespace, here: Stand) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for variant in args.variants.split(","):
        shared = Shared(here.room_ids, here.user_ids, args.think, actions_of(args))
        stage = "legacy" if variant == "before" else "modern"
        print(f"\n== {variant} (every route at {stage}) ==", flush=True)
        if args.warmup_seconds > 0:
            await warm_up(here.urls[variant], here.people, shared, args.warmup_seconds)
        results[variant] = await run_variant(variant, here.urls[variant], here.people, shared, args)
        forget_sessions(here.db, shared.tokens)
    if args.steady:
        shared = Shared(here.room_ids, here.user_ids, args.think, actions_of(args))
        print(f"\n== steady: {args.steady} users on after for {args.steady_seconds:.0f} s ==")
        results["steady"] = await run_steady(here.urls["after"], here.people, shared, args)
        forget_sessions(here.db, shared.tokens)
    return results


def actions_of(args: argparse.Namespace) -> dict[str, float]:
    """The action mix with `--post-share` for posts and the reads scaled to the rest."""
    reads = {name: share for name, share in ACTIONS.items() if name != "post"}
    scale = (1 - args.post_share) / sum(reads.values())
    return {**{name: share * scale for name, share in reads.items()}, "post": args.post_share}


def forget_sessions(db: Any, tokens: list[str]) -> None:
    if tokens:
        db.sessions.delete_many({"token": {"$in": tokens}})


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    print("\n== concurrent users at p95 < "
          f"{args.p95_limit:g} s with no errors (think time {args.think:g} s) ==")  # fmt: skip
    for variant in ("before", "after"):
        if variant in results:
            print(f"{variant:<7} {results[variant]['concurrent_users']}")
    before, after = results.get("before"), results.get("after")
    if before and after:
        b, a = before["concurrent_users"], after["concurrent_users"]
        print(
            f"after / before: {a / b:.1f}x"
            if b
            else f"after / before: legacy held no step (its first step: "
            f"{before['steps'][0]['overall']['p95_ms'] if before['steps'] else '-'} ms p95)"
        )
    steady = results.get("steady")
    if steady:
        print(f"\n== steady phase: {steady['users']} users, {steady['requests']} requests, "
              f"{steady['errors']} errors ==")  # fmt: skip
        print(f"{'endpoint':<10} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for name, s in steady["endpoints"].items():
            print(f"{name:<10} {s['n']:>7} {s['p50_ms']:>8} {s['p95_ms']:>8} {s['p99_ms']:>8} "
                  f"{s['max_ms']:>8}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args(argv)
    env = environment(PACKAGES, data=args.data, think_seconds=args.think,
                      step_seconds=args.step_seconds)  # fmt: skip
    print_environment("load_users", env)
    with stand(args) as here:
        results = asyncio.run(measure(args, here))
    report(results, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"environment": env, "args": vars(args) | {
        "out": str(args.out), "plot": str(args.plot), "data_dir": str(args.data_dir)},
        "results": results}, indent=2, default=str))  # fmt: skip
    write_svg(args.plot, {v: results[v]["steps"] for v in ("before", "after") if v in results},
              limit_ms=args.p95_limit * 1000)  # fmt: skip
    print(f"\nraw numbers: {args.out}\nplot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
