"""Register and login bodies, and their reply."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from modern.schemas.base import Strict
from modern.schemas.users import DisplayName, UserPublic

Username = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
Password = Annotated[str, Field(min_length=8, max_length=128)]


class RegisterRequest(Strict):
    username: Username
    password: Password
    display_name: DisplayName | None = None


class LoginRequest(Strict):
    """Login checks credentials, not their format: any strings are accepted (401 if wrong)."""

    username: Annotated[str, Field(max_length=256)]
    password: Annotated[str, Field(max_length=1024)]


class AuthReply(Strict):
    user: UserPublic
    token: str
