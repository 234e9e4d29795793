"""Rooms: list, create, detail, join, leave."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from modern.api.deps import DEFAULT_LIMIT, CurrentUser, Cursor, Fields, Limit, ServicesDep
from modern.api.replies import page_reply, reply
from modern.schemas import RoomCreate, RoomDetail, RoomPublic, RoomSummary

router = APIRouter(prefix="/api/rooms", tags=["rooms"])
SUMMARY_FIELDS = tuple(RoomSummary.model_fields)
DETAIL_FIELDS = tuple(RoomDetail.model_fields)


@router.get("", responses={200: {"model": list[RoomSummary]}})
def list_rooms(
    request: Request, _: CurrentUser, svc: ServicesDep,
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None, fields: Fields = None,
) -> Response:  # fmt: skip
    return page_reply(request, svc.rooms.list(cursor, limit), fields=fields, allowed=SUMMARY_FIELDS)


@router.post("", status_code=201, responses={201: {"model": RoomPublic}})
def create_room(body: RoomCreate, user: CurrentUser, svc: ServicesDep) -> Response:
    return reply(svc.rooms.create(user["id"], body.name, body.topic), status=201)


@router.get("/{room_id}", responses={200: {"model": RoomDetail}})
def room_detail(
    request: Request, room_id: str, _: CurrentUser, svc: ServicesDep,
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None, fields: Fields = None,
) -> Response:  # fmt: skip
    """`limit` and `cursor` page the room's `messages` (newest page; `next` goes older)."""
    page = svc.rooms.detail(room_id, cursor, limit)
    return page_reply(request, page, fields=fields, allowed=DETAIL_FIELDS, one=True)


@router.post("/{room_id}/join", responses={200: {"model": RoomPublic}})
def join_room(room_id: str, user: CurrentUser, svc: ServicesDep) -> Response:
    return reply(svc.rooms.join(room_id, user["id"]))


@router.post("/{room_id}/leave", responses={200: {"model": RoomPublic}})
def leave_room(room_id: str, user: CurrentUser, svc: ServicesDep) -> Response:
    return reply(svc.rooms.leave(room_id, user["id"]))
