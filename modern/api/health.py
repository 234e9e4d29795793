"""Liveness: answers without touching the database, so a slow store cannot fail it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from modern.api.replies import reply

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Response:
    return reply({"status": "ok"})
