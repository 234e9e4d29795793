"""Messages: room history, posting, editing, soft deletion and reactions, each write
broadcast as a live event `{type, room_id, message}` through the event publisher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modern.clock import now_ms
from modern.domain import Message, User
from modern.errors import Conflict, Forbidden, NotFound
from modern.services.pagination import Page
from modern.services.ports import EventPublisher, MessageStore, RenderedViews, RoomStore
from modern.services.rooms import history_page

MAX_REACTION_RETRIES = 5


@dataclass(frozen=True)
class MessagesService:
    """Parameters: messages, rooms — the stores; events — where live events go;
    views — the read model, told about every write."""

    messages: MessageStore
    rooms: RoomStore
    events: EventPublisher
    views: RenderedViews

    def history(self, room_id: str, cursor: str | None, limit: int) -> Page[Message]:
        room = self.rooms.get_ref(room_id)
        if room is None:
            raise NotFound(f"no room {room_id!r}")
        return history_page(self.messages, self.views, room, cursor, limit)

    def post(self, room_id: str, author: User, text: str) -> Message:
        room = self.rooms.get(room_id)
        if room is None:
            raise NotFound(f"no room {room_id!r}")
        if author["id"] not in room["member_ids"]:
            raise Forbidden("only members may post in this room")
        now = now_ms()
        message = self.messages.insert(room_id=room_id, author_id=author["id"], text=text, now=now)
        self.rooms.touch_last_message(room_id, now)
        self.views.message_posted(room)
        self._broadcast("message.created", message)
        return message

    def edit(self, message_id: str, author: User, text: str) -> Message:
        self._own_live_message(message_id, author)
        updated = self.messages.update_text(message_id, text, now_ms())
        return self._broadcast("message.edited", self._live(updated, message_id))

    def delete(self, message_id: str, author: User) -> None:
        self._own_live_message(message_id, author)
        deleted = self.messages.soft_delete(message_id)
        if deleted is None:  # deleted by a concurrent request
            raise NotFound(f"no message {message_id!r}")
        self._broadcast("message.deleted", deleted)

    def react(self, message_id: str, user: User, emoji: str) -> Message:
        """Toggle the caller's id in `reactions[emoji]`; an emptied emoji disappears.

        The write is a compare-and-set on the whole reactions map, retried when another
        request changed it in between, so concurrent toggles are not lost.
        """
        for _ in range(MAX_REACTION_RETRIES):
            message = self._live(self.messages.get(message_id), message_id)
            updated = self.messages.replace_reactions(
                message, toggled(message["reactions"], emoji, user["id"])
            )
            if updated is not None:
                return self._broadcast("reaction.toggled", updated, user_id=user["id"], emoji=emoji)
        raise Conflict(f"message {message_id!r} changed too often, try again")

    def _own_live_message(self, message_id: str, author: User) -> Message:
        message = self._live(self.messages.get(message_id), message_id)
        if message["author_id"] != author["id"]:
            raise Forbidden("only the author may change this message")
        return message

    @staticmethod
    def _live(message: Message | None, message_id: str) -> Message:
        if message is None or message["deleted"]:
            raise NotFound(f"no message {message_id!r}")
        return message

    def _broadcast(self, kind: str, message: Message, **extra: Any) -> Message:
        if kind != "message.created":
            self.views.message_changed(message["room_id"])
        event = {"type": kind, "room_id": message["room_id"], "message": message, **extra}
        self.events.publish(message["room_id"], event)
        return message


def toggled(reactions: dict[str, list[str]], emoji: str, user_id: str) -> dict[str, list[str]]:
    """A new reactions map with `user_id` toggled under `emoji` (order kept)."""
    result = {key: list(ids) for key, ids in reactions.items()}
    ids = result.setdefault(emoji, [])
    if user_id in ids:
        ids.remove(user_id)
    else:
        ids.append(user_id)
    if not ids:
        del result[emoji]
    return result
