"""Services wired to in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from modern.api.deps import Services
from modern.domain import User
from modern.readmodel import Views
from modern.services import passwords
from tests.unit.modern.fakes import FakeEvents, FakeMessages, FakeRooms, FakeSessions, FakeUsers


@dataclass
class World:
    """The fake stores and the services over them (no read-model cache: services get
    plain domain values back, as without Redis)."""

    users: FakeUsers = field(default_factory=FakeUsers)
    sessions: FakeSessions = field(default_factory=FakeSessions)
    rooms: FakeRooms = field(default_factory=FakeRooms)
    messages: FakeMessages = field(default_factory=FakeMessages)
    events: FakeEvents = field(default_factory=FakeEvents)

    def __post_init__(self) -> None:
        self.svc = Services.build(self, Views())

    def user(self, name: str) -> User:
        return self.svc.auth.register(name, "password123", None)[0]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    # 100,000 PBKDF2 rounds per registration would dominate the unit suite's time.
    monkeypatch.setattr(passwords.hash_password, "__kwdefaults__", {"iterations": 1_000})
    return World()
