"""Dependencies as data: services come from `request.app.state`, built by the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from modern.domain import User
from modern.services import (
    AuthService,
    HomeService,
    MessagesService,
    RoomsService,
    SearchService,
    UsersService,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True)
class Services:
    """The services a request may use; one instance per process, in `app.state.services`."""

    auth: AuthService
    users: UsersService
    rooms: RoomsService
    messages: MessagesService
    home: HomeService
    search: SearchService


def services(request: Request) -> Services:
    found: Services = request.app.state.services  # set by the app's lifespan
    return found


ServicesDep = Annotated[Services, Depends(services)]


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


Token = Annotated[str | None, Depends(bearer_token)]


def current_user(svc: ServicesDep, token: Token) -> User:
    return svc.auth.authenticate(token)


CurrentUser = Annotated[User, Depends(current_user)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, Query(description="opaque cursor from a Link header")]
Fields = Annotated[str | None, Query(description="comma-separated top-level fields")]
