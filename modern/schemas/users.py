"""User replies and the profile update body."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from modern.schemas.base import ObjectIdStr, Strict, Timestamp

DisplayName = Annotated[str, Field(min_length=1, max_length=64)]
# An absolute http(s) URL with a host and no spaces or control characters: an avatar is
# put in an <img src> by clients, where `javascript:` or `data:` would run or smuggle
# content (legacy stores any value; modern refuses them, and never serves one it reads).
AvatarUrl = Annotated[
    str,
    Field(
        max_length=500,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20\x7f/?#]+[^\x00-\x20\x7f]*$",
        description="an absolute http:// or https:// URL",
    ),
]


class UserPublic(Strict):
    id: ObjectIdStr
    username: str
    display_name: str | None
    bio: str | None
    avatar_url: str | None
    created_at: Timestamp | None  # null: stored without a date (legacy's data)
    last_seen_at: Timestamp | None


class UserUpdate(Strict):
    """PATCH /api/users/me: only keys present change; bio and avatar_url may be null.
    Each value has the type the contract gives it (strict: no number for a string)."""

    display_name: DisplayName | None = None
    bio: Annotated[str, Field(max_length=500)] | None = None
    avatar_url: AvatarUrl | None = None

    @field_validator("display_name", mode="before")
    @classmethod
    def _display_name_not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("display_name cannot be null")
        return value

    def changes(self) -> dict[str, str | None]:
        return self.model_dump(exclude_unset=True)
