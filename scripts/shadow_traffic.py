#!/usr/bin/env python3
"""Drive realistic traffic through a running proxy, then print each shadowed route's status.

It registers a few users, creates rooms, joins them and posts messages (writes go
wherever routes.yaml sends them), then sends many GETs of every shadowed route with
real ids filled into the path templates, so the shadow comparison has something to
chew on. Loopback only, bounded in count and time.

    python scripts/shadow_traffic.py --proxy-url http://127.0.0.1:8000 --gets 300

`STRANGLER_ADMIN_TOKEN` is sent to `/_strangler/` when set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class World:
    """What the traffic created: tokens, user ids, room ids, message ids."""

    tokens: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proxy-url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=5, help="users to register (1-50)")
    parser.add_argument("--rooms", type=int, default=3, help="rooms to create (1-20)")
    parser.add_argument("--messages", type=int, default=30, help="messages to post (0-500)")
    parser.add_argument("--gets", type=int, default=300, help="GETs of shadowed routes (≤ 5000)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight (1-32)")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop sending after this")
    parser.add_argument("--wait", type=float, default=3, help="seconds to let comparisons finish")
    args = parser.parse_args(argv)
    host = urlsplit(args.proxy_url).hostname
    if host not in LOOPBACK:
        parser.error(f"--proxy-url must be a loopback address, got {host!r}")
    bounds = {
        "users": (1, 50),
        "rooms": (1, 20),
        "messages": (0, 500),
        "gets": (0, 5000),
        "concurrency": (1, 32),
    }
    for name, (low, high) in bounds.items():
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name} must be within {low}..{high}")
    return args


def admin_headers() -> dict[str, str]:
    token = os.environ.get("STRANGLER_ADMIN_TOKEN")
    return {"authorization": f"Bearer {token}"} if token else {}


async def shadowed_routes(client: httpx.AsyncClient) -> list[dict]:
    response = await client.get("/_strangler/api/status", headers=admin_headers())
    response.raise_for_status()
    return [
        r
        for r in response.json()["routes"]
        if "GET" in r.get("methods", ["GET"])
        and (r["stage"] == "shadow" or (r["stage"] == "canary" and r.get("shadow")))
    ]


async def build_world(client: httpx.AsyncClient, args: argparse.Namespace) -> World:
    world = World()
    run = secrets.token_hex(3)
    for i in range(args.users):
        name = f"st_{run}_{i}"
        response = await client.post(
            "/api/auth/register",
            json={"username": name, "password": secrets.token_urlsafe(12), "display_name": name},
        )
        response.raise_for_status()
        body = response.json()
        world.tokens.append(body["token"])
        world.users.append(body["user"]["id"])
        world.names.append(name)
    auth = [{"authorization": f"Bearer {t}"} for t in world.tokens]
    for i in range(args.rooms):
        response = await client.post(
            "/api/rooms", json={"name": f"room {run} {i}", "topic": "shadow"}, headers=auth[0]
        )
        response.raise_for_status()
        world.rooms.append(response.json()["id"])
        for headers in auth[1:]:
            (
                await client.post(f"/api/rooms/{world.rooms[-1]}/join", headers=headers)
            ).raise_for_status()
    for i in range(args.messages):
        room = world.rooms[i % len(world.rooms)]
        response = await client.post(
            f"/api/rooms/{room}/messages", json={"text": f"hello {i}"}, headers=auth[i % len(auth)]
        )
        response.raise_for_status()
        world.messages.append(response.json()["id"])
    return world


def fill(template: str, world: World) -> str:
    choices = {
        "user_id": world.users,
        "room_id": world.rooms,
        "message_id": world.messages or world.rooms,
    }

    def value(match: re.Match[str]) -> str:
        return random.choice(choices.get(match.group(1), world.rooms))

    path = PARAM.sub(value, template)
    if path.startswith("/api/search"):
        path += "?q=" + random.choice(world.names)[:6]
    return path


async def send_gets(
    client: httpx.AsyncClient, routes: list[dict], world: World, args: argparse.Namespace
) -> dict[int, int]:
    deadline = time.monotonic() + args.max_seconds
    statuses: dict[int, int] = {}
    remaining = iter(range(args.gets))

    async def worker() -> None:
        for _ in remaining:
            if time.monotonic() > deadline:
                return
            route = random.choice(routes)
            headers = {"authorization": f"Bearer {random.choice(world.tokens)}"}
            response = await client.get(fill(route["path"], world), headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    return statuses


def report(routes: list[dict]) -> None:
    columns = (
        "route",
        "compared",
        "match",
        "mism",
        "intend",
        "tmo",
        "err",
        "drop",
        "rate",
        "lower",
        "ready",
        "top field",
    )
    print(("{:<16} " + "{:>8} " * 10 + "{}").format(*columns))
    for r in routes:
        s = r.get("shadow") or {}
        top = (s.get("fields") or [{}])[0]
        rate = s.get("match_rate")
        print(
            ("{:<16} " + "{:>8} " * 10 + "{}").format(
                r["id"][:16],
                s.get("compared", 0),
                s.get("matched", 0),
                s.get("mismatched", 0),
                s.get("intended", 0),
                s.get("timeout", 0),
                s.get("modern_error", 0),
                s.get("dropped", 0),
                "-" if rate is None else f"{rate:.3f}",
                f"{s.get('match_rate_lower_bound', 0):.3f}",
                "yes" if s.get("ready_to_promote") else "no",
                f"{top.get('path', '')} ({top.get('diffs', 0)})" if top else "",
            )
        )


async def main(args: argparse.Namespace) -> int:
    async with httpx.AsyncClient(base_url=args.proxy_url, timeout=180) as client:
        routes = await shadowed_routes(client)
        if not routes:
            print("no shadowed GET route in the proxy's table; nothing to drive")
            return 1
        print(f"shadowed routes: {', '.join(r['id'] for r in routes)}")
        started = time.monotonic()
        world = await build_world(client, args)
        print(
            f"created {len(world.users)} users, {len(world.rooms)} rooms, "
            f"{len(world.messages)} messages in {time.monotonic() - started:.1f}s"
        )
        started = time.monotonic()
        statuses = await send_gets(client, routes, world, args)
        print(
            f"sent {sum(statuses.values())} GETs in {time.monotonic() - started:.1f}s: {statuses}"
        )
        await asyncio.sleep(args.wait)
        report(await shadowed_routes(client))
    return 0


if __name__ == "__main__":
    arguments = parse_args()
    try:
        sys.exit(asyncio.run(main(arguments)))
    except httpx.HTTPStatusError as exc:
        request = exc.request
        print(f"error: {request.method} {request.url.path} answered {exc.response.status_code}")
    except httpx.HTTPError as exc:
        print(f"error: cannot reach the proxy at {arguments.proxy_url}: {exc!r}")
    sys.exit(1)
