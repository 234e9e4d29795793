"""Message bodies and replies."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from modern.schemas.base import ObjectIdStr, Strict, Timestamp


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be only blanks")
    return text


Text = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(_not_blank)]


class MessageCreate(Strict):
    text: Text


class MessageUpdate(Strict):
    text: Text


class ReactionToggle(Strict):
    # The emoji becomes a key of the stored reactions map: BSON refuses a NUL in a key,
    # and a key starting with `$` would read as an operator when the map is compared.
    emoji: Annotated[
        str, Field(min_length=1, max_length=16, pattern=r"^[^$\x00-\x1f\x7f][^\x00-\x1f\x7f]*$")
    ]


class MessagePublic(Strict):
    id: ObjectIdStr
    room_id: ObjectIdStr
    author_id: ObjectIdStr
    text: str
    created_at: Timestamp | None  # null: stored without a date (legacy's data)
    edited_at: Timestamp | None
    deleted: bool
    reactions: dict[str, list[ObjectIdStr]]
