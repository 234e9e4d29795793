"""Rooms: list, create, detail, join, leave."""

from __future__ import annotations

from fastapi import APIRouter, Response

from modern.api.deps import CurrentUser, Listing, ServicesDep
from modern.api.replies import page_reply, reply
from modern.schemas import RoomCreate, RoomDetail, RoomPublic, RoomSummary

router = APIRouter(prefix="/api/rooms", tags=["rooms"])


@router.get("", responses={200: {"model": list[RoomSummary]}})
def list_rooms(params: Listing, _: CurrentUser, svc: ServicesDep) -> Response:
    page = svc.rooms.list(params.cursor, params.limit)
    return page_reply(params, page, allowed=RoomSummary.model_fields)


@router.post("", status_code=201, responses={201: {"model": RoomPublic}})
def create_room(body: RoomCreate, user: CurrentUser, svc: ServicesDep) -> Response:
    return reply(svc.rooms.create(user["id"], body.name, body.topic), status=201)


@router.get("/{room_id}", responses={200: {"model": RoomDetail}})
def room_detail(room_id: str, params: Listing, _: CurrentUser, svc: ServicesDep) -> Response:
    """`limit` and `cursor` page the room's `messages` (newest page; `next` goes older)."""
    page = svc.rooms.detail(room_id, params.cursor, params.limit)
    return page_reply(params, page, allowed=RoomDetail.model_fields, one=True)


@router.post("/{room_id}/join", responses={200: {"model": RoomPublic}})
def join_room(room_id: str, user: CurrentUser, svc: ServicesDep) -> Response:
    return reply(svc.rooms.join(room_id, user["id"]))


@router.post("/{room_id}/leave", responses={200: {"model": RoomPublic}})
def leave_room(room_id: str, user: CurrentUser, svc: ServicesDep) -> Response:
    return reply(svc.rooms.leave(room_id, user["id"]))
