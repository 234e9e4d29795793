"""Messages: room history, post, edit, delete, react."""

from __future__ import annotations

from fastapi import APIRouter, Response

from modern.api.deps import CurrentUser, Listing, ServicesDep
from modern.api.replies import no_content, page_reply, reply
from modern.schemas import MessageCreate, MessagePublic, MessageUpdate, ReactionToggle

router = APIRouter(tags=["messages"])


@router.get("/api/rooms/{room_id}/messages", responses={200: {"model": list[MessagePublic]}})
def room_messages(room_id: str, params: Listing, _: CurrentUser, svc: ServicesDep) -> Response:
    """The newest page, oldest first within it; the `next` link goes older."""
    page = svc.messages.history(room_id, params.cursor, params.limit)
    return page_reply(params, page, allowed=MessagePublic.model_fields)


@router.post(
    "/api/rooms/{room_id}/messages", status_code=201, responses={201: {"model": MessagePublic}}
)
def post_message(
    room_id: str, body: MessageCreate, user: CurrentUser, svc: ServicesDep
) -> Response:
    return reply(svc.messages.post(room_id, user, body.text), status=201)


@router.patch("/api/messages/{message_id}", responses={200: {"model": MessagePublic}})
def edit_message(
    message_id: str, body: MessageUpdate, user: CurrentUser, svc: ServicesDep
) -> Response:
    return reply(svc.messages.edit(message_id, user, body.text))


@router.delete("/api/messages/{message_id}", status_code=204)
def delete_message(message_id: str, user: CurrentUser, svc: ServicesDep) -> Response:
    svc.messages.delete(message_id, user)
    return no_content()


@router.post("/api/messages/{message_id}/reactions", responses={200: {"model": MessagePublic}})
def react(message_id: str, body: ReactionToggle, user: CurrentUser, svc: ServicesDep) -> Response:
    return reply(svc.messages.react(message_id, user, body.emoji))
