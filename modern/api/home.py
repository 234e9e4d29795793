"""The home page and search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from modern.api.deps import CurrentUser, Fields, Listing, ServicesDep
from modern.api.replies import link, reply
from modern.schemas import HomePublic, SearchPublic

router = APIRouter(prefix="/api", tags=["home"])
MAX_QUERY_CHARS = 200


@router.get("/home", responses={200: {"model": HomePublic}})
def home(user: CurrentUser, svc: ServicesDep, fields: Fields = None) -> Response:
    return reply(svc.home.home(user), fields=fields, allowed=HomePublic.model_fields)


@router.get("/search", responses={200: {"model": SearchPublic}})
def search(
    params: Listing, _: CurrentUser, svc: ServicesDep,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS)] = None,
) -> Response:  # fmt: skip
    """Each of `users` and `rooms` is bounded by `limit`; one cursor continues both."""
    results, next_cursor = svc.search.search(q, params.cursor, params.limit)
    response = reply(results, fields=params.fields, allowed=SearchPublic.model_fields)
    link(params.request, response, next_cursor)
    return response
