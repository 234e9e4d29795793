"""Writes seen on the database's change feed drop the views they change.

Modern's own writes drop their views as they are made (`modern.readmodel.views`). The
others, legacy's above all while endpoints move one by one, arrive here from the
change feed (`modern.repositories.changes`) as `modern.domain.Change` values and drop
the same groups, so that what modern serves (and what the proxy compares) is fresh
within the feed's lag rather than the cache TTL.
"""

from __future__ import annotations

from modern.domain import Change, MessageWritten, RoomWritten, UserWritten
from modern.services.ports import RenderedViews, RoomStore
from modern.services.users import profile_changed


class ChangeRules:
    """Parameters: views — the read model; rooms — to find a user's rooms."""

    def __init__(self, views: RenderedViews, rooms: RoomStore) -> None:
        self._views = views
        self._rooms = rooms

    def __call__(self, change: Change) -> None:
        match change:
            case MessageWritten(room_id=room_id):
                self._views.message_changed(room_id)
            case RoomWritten(created=True, owner_id=owner_id) if owner_id is not None:
                self._views.room_created(owner_id)
            case RoomWritten(room_id=room_id, members=members, moved=moved):
                self._views.room_changed(room_id, members | moved)
            case UserWritten(created=True):
                self._views.user_registered()
            case UserWritten(user_id=user_id):
                profile_changed(self._views, self._rooms, user_id)
