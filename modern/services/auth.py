"""Registration, login, logout and token authentication (sessions shared with legacy)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from modern.clock import now_ms
from modern.domain import User
from modern.errors import Conflict, DuplicateKeyError, Unauthorized
from modern.services.passwords import hash_password, verify_password
from modern.services.ports import RenderedViews, RoomStore, SessionStore, UserStore
from modern.services.users import profile_changed

SESSION_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class AuthService:
    """Parameters: users, sessions — the stores; tokens are `secrets.token_urlsafe(32)`;
    rooms, views — to drop the views a login changes (`last_seen_at` is in profiles)."""

    users: UserStore
    sessions: SessionStore
    rooms: RoomStore
    views: RenderedViews

    def register(self, username: str, password: str, display_name: str | None) -> tuple[User, str]:
        now = now_ms()
        try:
            user = self.users.insert(
                username=username,
                display_name=display_name if display_name is not None else username,
                password_hash=hash_password(password),
                now=now,
            )
        except DuplicateKeyError:
            raise Conflict(f"username {username!r} is taken") from None
        self.views.user_registered()
        return user, self._open_session(user["id"])

    def login(self, username: str, password: str) -> tuple[User, str]:
        found = self.users.find_credentials(username)
        if found is None or not verify_password(password, found[1]):
            raise Unauthorized("wrong username or password")
        user = self.users.update(found[0]["id"], {"last_seen_at": now_ms()})
        if user is None:  # deleted between the two calls
            raise Unauthorized("wrong username or password")
        profile_changed(self.views, self.rooms, user["id"])
        return user, self._open_session(user["id"])

    def logout(self, token: str) -> None:
        self.sessions.delete(token)

    def authenticate(self, token: str | None) -> User:
        """The user a bearer token belongs to; 401 when missing, unknown or expired."""
        if not token:
            raise Unauthorized("missing bearer token")
        user_id = self.sessions.user_id_for(token, now_ms())
        user = self.users.get(user_id) if user_id is not None else None
        if user is None:
            raise Unauthorized("invalid or expired token")
        return user

    def _open_session(self, user_id: str) -> str:
        token = secrets.token_urlsafe(32)
        now = now_ms()
        self.sessions.create(
            token=token, user_id=user_id, now=now, expires_at=now + SESSION_LIFETIME
        )
        return token
