"""Shaping replies: compact JSON, `?fields=` selection and the `Link: rel="next"` header."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import Request, Response

from modern.api.deps import ListParams
from modern.errors import ValidationFailed
from modern.services import Page
from modern.wire import Raw, dumps


def select(fields: str | None, allowed: Collection[str]) -> list[str] | None:
    """The requested top-level fields, or None for all; an unknown name is a 422."""
    if fields is None:
        return None
    names = [name.strip() for name in fields.split(",") if name.strip()]
    unknown = sorted(set(names) - set(allowed))
    if unknown or not names:
        message = f"unknown field(s): {', '.join(unknown)}" if unknown else "no field named"
        raise ValidationFailed("invalid fields", fields={"fields": message})
    return names


def _pick(item: Any, names: list[str] | None) -> Any:
    if names is None:
        return item
    if isinstance(item, Raw):  # a cached rendering: decoded only when fields are picked
        item = item.value()
    return {name: item[name] for name in names if name in item}


def reply(
    content: Any,
    *,
    fields: str | None = None,
    allowed: Collection[str] = (),
    status: int = 200,
) -> Response:
    """An object reply; `fields` picks among `allowed` keys."""
    names = select(fields, allowed)
    return Response(dumps(_pick(content, names)), status_code=status, media_type="application/json")


def page_reply(
    params: ListParams, page: Page[Any], *, allowed: Collection[str], one: bool = False
) -> Response:
    """A list reply (or, with `one`, the page's single object) with a next-page Link.

    `page.items` may be one rendered list (the read model's), sent as is without fields."""
    names = select(params.fields, allowed)
    items = page.items
    if isinstance(items, list) or names is not None:
        listed = items if isinstance(items, list) else items.value()
        picked = [_pick(item, names) for item in listed]
        body = dumps(picked[0] if one else picked)
    else:
        body = dumps(items)  # one rendering, written as is
    response = Response(body, media_type="application/json")
    link(params.request, response, page.next_cursor)
    return response


def link(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'


def no_content() -> Response:
    return Response(status_code=204)
