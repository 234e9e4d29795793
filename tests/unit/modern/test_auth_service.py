from __future__ import annotations

import pytest

from modern.errors import Conflict, Unauthorized
from modern.services.passwords import hash_password, verify_password
from tests.unit.modern.conftest import World


def test_register_defaults_display_name_and_opens_a_session(world: World) -> None:
    user, token = world.svc.auth.register("alice", "password123", None)
    assert user["display_name"] == "alice"
    assert user["bio"] is None and user["avatar_url"] is None
    assert user["created_at"] == user["last_seen_at"]
    assert world.svc.auth.authenticate(token)["id"] == user["id"]


def test_duplicate_username_is_a_conflict(world: World) -> None:
    world.svc.auth.register("alice", "password123", None)
    with pytest.raises(Conflict):
        world.svc.auth.register("alice", "password456", None)


def test_login_checks_the_password_and_updates_last_seen(world: World) -> None:
    user, _ = world.svc.auth.register("bob", "password123", "Bob")
    with pytest.raises(Unauthorized):
        world.svc.auth.login("bob", "wrong password")
    with pytest.raises(Unauthorized):
        world.svc.auth.login("nobody", "password123")
    again, token = world.svc.auth.login("bob", "password123")
    assert again["last_seen_at"] >= user["last_seen_at"]
    assert world.svc.auth.authenticate(token)["username"] == "bob"


def test_logout_revokes_the_token(world: World) -> None:
    _, token = world.svc.auth.register("carol", "password123", None)
    world.svc.auth.logout(token)
    with pytest.raises(Unauthorized):
        world.svc.auth.authenticate(token)


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_authenticate_refuses_missing_or_unknown_tokens(world: World, token: str | None) -> None:
    with pytest.raises(Unauthorized):
        world.svc.auth.authenticate(token)


def test_password_format_is_shared_with_legacy() -> None:
    encoded = hash_password("s3cret-pass", iterations=1000)
    algorithm, iterations, salt, digest = encoded.split("$")
    assert (algorithm, iterations, len(salt), len(digest)) == ("pbkdf2_sha256", "1000", 32, 64)
    assert verify_password("s3cret-pass", encoded)
    assert not verify_password("other", encoded)
    assert not verify_password("s3cret-pass", "garbage")
    assert not verify_password("s3cret-pass", "md5$1$00$00")


def test_a_stored_hash_cannot_make_a_login_hang_or_fail() -> None:
    """Legacy stores whatever it is given: absurd round counts simply do not match."""
    _, _, salt, digest = hash_password("pw", iterations=1000).split("$")
    for rounds in ("0", "-5", str(10**7), str(2**70), "NaN", "1e3"):
        assert not verify_password("pw", f"pbkdf2_sha256${rounds}${salt}${digest}")
