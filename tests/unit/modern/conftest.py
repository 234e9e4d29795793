"""Services wired to in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from modern.domain import User
from modern.services import (
    AuthService,
    HomeService,
    MessagesService,
    RoomsService,
    SearchService,
    UsersService,
    passwords,
)
from tests.unit.modern.fakes import FakeEvents, FakeMessages, FakeRooms, FakeSessions, FakeUsers


@dataclass
class World:
    users: FakeUsers
    sessions: FakeSessions
    rooms: FakeRooms
    messages: FakeMessages
    events: FakeEvents
    auth: AuthService
    user_svc: UsersService
    room_svc: RoomsService
    message_svc: MessagesService
    home_svc: HomeService
    search_svc: SearchService

    def user(self, name: str) -> User:
        return self.auth.register(name, "password123", None)[0]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    # 100,000 PBKDF2 rounds per registration would dominate the unit suite's time.
    monkeypatch.setattr(passwords.hash_password, "__kwdefaults__", {"iterations": 1_000})
    users, sessions, rooms = FakeUsers(), FakeSessions(), FakeRooms()
    messages, events = FakeMessages(), FakeEvents()
    return World(
        users, sessions, rooms, messages, events,
        auth=AuthService(users, sessions),
        user_svc=UsersService(users, rooms),
        room_svc=RoomsService(rooms, users, messages),
        message_svc=MessagesService(messages, rooms, events),
        home_svc=HomeService(users, rooms, messages),
        search_svc=SearchService(users, rooms),
    )  # fmt: skip
