"""Validation models at the edge: strict pydantic v2, unknown keys rejected.

`XCreate` / `XUpdate` validate request bodies (constraints from
docs/wire-contract.md); `XPublic` describe replies (OpenAPI, and tests check the
rendered replies against them). No layer imports.
"""

from __future__ import annotations

from modern.schemas.auth import AuthReply, LoginRequest, RegisterRequest
from modern.schemas.home import HomePublic, HomeRoom, SearchPublic
from modern.schemas.messages import MessageCreate, MessagePublic, MessageUpdate, ReactionToggle
from modern.schemas.rooms import RoomCreate, RoomDetail, RoomPublic, RoomSummary
from modern.schemas.users import UserPublic, UserUpdate

__all__ = [
    "AuthReply",
    "HomePublic",
    "HomeRoom",
    "LoginRequest",
    "MessageCreate",
    "MessagePublic",
    "MessageUpdate",
    "ReactionToggle",
    "RegisterRequest",
    "RoomCreate",
    "RoomDetail",
    "RoomPublic",
    "RoomSummary",
    "SearchPublic",
    "UserPublic",
    "UserUpdate",
]
