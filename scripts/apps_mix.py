"""The read-heavy mix: how many database operations modern's cache saves per request.

90% reads over home, rooms, messages, users, a user profile and user rooms; 10%
writes (post a message, toggle a reaction). The same seeded sequence runs against
modern with and without its cache, in alternating rounds (A B A B), and the mix's
writes are undone afterwards (posted messages deleted, reactions and rooms' activity
restored) so the seeded set stays as it was.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from appkit import App, db_ops  # scripts/ is on sys.path as a script

MODERN_VARIANTS = ("modern", "modern-nocache")
MIX_WRITE_SHARE = 0.1
MIX_READS = ("home", "rooms", "messages", "users", "profile", "user_rooms")
Step = tuple[str, str, str, Any]  # kind, method, path, JSON body


def mix_plan(db: Any, requests: int, seed: int = 7) -> tuple[list[Step], dict[str, Any]]:
    """The same seeded sequence for every variant, and what it will write (to undo)."""
    demo = db.users.find_one({"username": "demo"}, {"_id": 1})["_id"]
    rooms = list(db.rooms.find({"member_ids": demo}, {"last_message_at": 1}))
    targets = {
        room["_id"]: db.messages.find_one({"room_id": room["_id"], "deleted": False})
        for room in rooms
    }
    users = [str(u["_id"]) for u in db.users.find({}, {"_id": 1}).limit(200)]
    rng = random.Random(seed)
    reads: dict[str, Any] = {
        "home": lambda: "/api/home",
        "rooms": lambda: "/api/rooms",
        "messages": lambda: f"/api/rooms/{rng.choice(rooms)['_id']}/messages",
        "users": lambda: "/api/users",
        "profile": lambda: f"/api/users/{rng.choice(users)}",
        "user_rooms": lambda: f"/api/users/{demo}/rooms",
    }
    plan: list[Step] = []
    for index in range(requests):
        if rng.random() >= MIX_WRITE_SHARE:
            kind = rng.choice(MIX_READS)
            plan.append((kind, "GET", reads[kind](), None))
            continue
        room = rng.choice(rooms)
        target = targets[room["_id"]]
        if rng.random() < 0.5 or target is None:
            path = f"/api/rooms/{room['_id']}/messages"
            plan.append(("post", "POST", path, {"text": f"mix message {index}"}))
        else:
            path = f"/api/messages/{target['_id']}/reactions"
            plan.append(("react", "POST", path, {"emoji": "👍"}))
    undo = {"author": demo, "rooms": rooms, "messages": [t for t in targets.values() if t]}
    return plan, undo


def undo_mix(db: Any, undo: dict[str, Any], since: Any) -> None:
    """Delete the mix's messages; restore reactions and rooms' activity as seeded."""
    db.messages.delete_many({"author_id": undo["author"], "created_at": {"$gte": since}})
    for message in undo["messages"]:
        reactions = message.get("reactions") or {}
        db.messages.update_one({"_id": message["_id"]}, {"$set": {"reactions": reactions}})
    for room in undo["rooms"]:
        at = room.get("last_message_at")
        db.rooms.update_one({"_id": room["_id"]}, {"$set": {"last_message_at": at}})


def run_mix(apps: dict[str, App], db: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Rounds alternate the variants (A B A B); each runs the whole plan."""
    plan, undo = mix_plan(db, args.mix_requests)
    since = datetime.now(UTC) - timedelta(seconds=1)
    rounds: dict[str, list[dict[str, Any]]] = {v: [] for v in MODERN_VARIANTS}
    try:
        for round_number in range(1, args.mix_rounds + 1):
            for variant in MODERN_VARIANTS:
                app = apps[variant]
                headers = {"Authorization": f"Bearer {app.token}"}
                times: list[float] = []
                errors = 0
                with httpx.Client(base_url=app.url, headers=headers, timeout=args.timeout) as http:
                    before = db_ops(db)
                    for _, method, path, body in plan:
                        started = time.perf_counter()
                        reply = http.request(method, path, json=body)
                        times.append((time.perf_counter() - started) * 1000)
                        errors += reply.status_code >= 400
                    ops = db_ops(db) - before - 1
                rounds[variant].append({"requests": len(plan), "db_ops": ops, "errors": errors,
                                        "ms": times})  # fmt: skip
                print(f"mix r{round_number} {variant:<15} {ops / len(plan):6.2f} db ops/request, "
                      f"median {statistics.median(times):.1f} ms, {errors} errors",
                      flush=True)  # fmt: skip
    finally:
        undo_mix(db, undo, since)
    kinds = {kind: sum(step[0] == kind for step in plan) for kind in (*MIX_READS, "post", "react")}
    return {"plan": kinds, "rounds": rounds}


def report_mix(results: dict[str, Any]) -> dict[str, Any]:
    """Database operations per request with and without the cache, and the reduction."""
    out: dict[str, Any] = {}
    for size, result in results.items():
        mix = result.get("mix")
        if not mix:
            continue
        print(f"\n== read-heavy mix on {size}: {mix['plan']} ==")
        per: dict[str, float] = {}
        for variant, rounds in mix["rounds"].items():
            requests = sum(r["requests"] for r in rounds)
            per[variant] = sum(r["db_ops"] for r in rounds) / requests
            times = [t for r in rounds for t in r["ms"]]
            spread = [round(r["db_ops"] / r["requests"], 2) for r in rounds]
            print(f"{variant:<15} {per[variant]:6.2f} db ops/request (rounds {spread}), "
                  f"median {statistics.median(times):.1f} ms, "
                  f"errors {sum(r['errors'] for r in rounds)}")  # fmt: skip
        cut = 1 - per["modern"] / per["modern-nocache"] if per.get("modern-nocache") else None
        if cut is not None:
            print(f"the cache cuts database operations by {cut:.0%} (bound: >= 50%)")
        out[size] = {"ops_per_request": per, "reduction": cut}
    return out
