"""The home page and search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from modern.api.deps import DEFAULT_LIMIT, CurrentUser, Cursor, Fields, Limit, ServicesDep
from modern.api.replies import link, reply
from modern.schemas import HomePublic, SearchPublic

router = APIRouter(prefix="/api", tags=["home"])
HOME_FIELDS = tuple(HomePublic.model_fields)
SEARCH_FIELDS = tuple(SearchPublic.model_fields)
MAX_QUERY_CHARS = 200


@router.get("/home", responses={200: {"model": HomePublic}})
def home(user: CurrentUser, svc: ServicesDep, fields: Fields = None) -> Response:
    return reply(svc.home.home(user), fields=fields, allowed=HOME_FIELDS)


@router.get("/search", responses={200: {"model": SearchPublic}})
def search(
    request: Request, _: CurrentUser, svc: ServicesDep,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS)] = None,
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None, fields: Fields = None,
) -> Response:  # fmt: skip
    """Each of `users` and `rooms` is bounded by `limit`; one cursor continues both."""
    results, next_cursor = svc.search.search(q, cursor, limit)
    response = reply(results, fields=fields, allowed=SEARCH_FIELDS)
    link(request, response, next_cursor)
    return response
