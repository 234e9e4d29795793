"""Users: the directory, one user, the caller's profile, a user's rooms."""

from __future__ import annotations

from fastapi import APIRouter, Response

from modern.api.deps import CurrentUser, Fields, Listing, ServicesDep
from modern.api.replies import page_reply, reply
from modern.schemas import RoomPublic, UserPublic, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("", responses={200: {"model": list[UserPublic]}})
def list_users(params: Listing, _: CurrentUser, svc: ServicesDep) -> Response:
    page = svc.users.list(params.cursor, params.limit)
    return page_reply(params, page, allowed=UserPublic.model_fields)


@router.patch("/me", responses={200: {"model": UserPublic}})
def update_me(body: UserUpdate, user: CurrentUser, svc: ServicesDep) -> Response:
    return reply(svc.users.update_me(user["id"], body.changes()))


@router.get("/{user_id}", responses={200: {"model": UserPublic}})
def get_user(user_id: str, _: CurrentUser, svc: ServicesDep, fields: Fields = None) -> Response:
    return reply(svc.users.get(user_id), fields=fields, allowed=UserPublic.model_fields)


@router.get("/{user_id}/rooms", responses={200: {"model": list[RoomPublic]}})
def user_rooms(user_id: str, params: Listing, _: CurrentUser, svc: ServicesDep) -> Response:
    page = svc.users.rooms_of(user_id, params.cursor, params.limit)
    return page_reply(params, page, allowed=RoomPublic.model_fields)
