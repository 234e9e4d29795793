"""HTTP controllers: parse and validate, call one service, shape the reply.

- `deps.py`: `Annotated[..., Depends(...)]` aliases (services from `app.state`, the
  caller, list parameters).
- `errors.py`: the one place domain errors become the HTTP error envelope.
- `replies.py`: JSON rendering, `?fields=` selection, the pagination `Link` header.
- `auth.py`, `users.py`, `rooms.py`, `messages.py`, `home.py`, `health.py`: routers.
- `live.py`: the WebSocket endpoint and this process's hub of connected clients.
"""

from __future__ import annotations

from fastapi import FastAPI

from modern.api import auth, health, home, live, messages, rooms, users
from modern.api.deps import Services
from modern.api.errors import install_error_handlers
from modern.api.live import Hub


def install_routes(app: FastAPI) -> None:
    """Add every endpoint flat (not `include_router`, which recent FastAPI nests in a
    wrapper), so that `app.routes` lists each path and method for tooling to read."""
    for module in (health, auth, users, rooms, messages, home, live):
        app.router.routes.extend(module.router.routes)


__all__ = ["Hub", "Services", "install_error_handlers", "install_routes"]
