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
from modern.services.ports import RenderedViews, Stores

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

    @classmethod
    def build(cls, stores: Stores, views: RenderedViews) -> Services:
        """Every service over one set of stores and one read model (the app's lifespan
        passes the repositories, the unit tests their in-memory fakes)."""
        users, rooms, messages = stores.users, stores.rooms, stores.messages
        return cls(
            auth=AuthService(users, stores.sessions, rooms, views),
            users=UsersService(users, rooms, views),
            rooms=RoomsService(rooms, users, messages, views),
            messages=MessagesService(messages, rooms, stores.events, views),
            home=HomeService(users, rooms, messages, views),
            search=SearchService(users, rooms, views),
        )


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


@dataclass(frozen=True)
class ListParams:
    """The query parameters of every list endpoint, taken as one dependency: `limit`,
    `cursor` and `fields` (documented and validated as query parameters each, as if
    the endpoint named them), and the request the `Link: rel="next"` header is built from."""

    request: Request
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor = None
    fields: Fields = None


Listing = Annotated[ListParams, Depends()]
