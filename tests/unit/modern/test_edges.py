"""Pure helpers: cursors, wire timestamps, settings, field selection, the cache codec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from modern.api.replies import select
from modern.errors import BadRequest, ValidationFailed
from modern.repositories.cache import dumps, loads
from modern.services.pagination import decode_cursor, encode_cursor
from modern.settings import Settings, SettingsError, database_from_uri
from modern.wire import format_timestamp

MOMENT = datetime(2026, 11, 28, 6, 26, 35, 123456, tzinfo=UTC)


def test_cursor_round_trips_and_rejects_other_shapes() -> None:
    token = encode_cursor((MOMENT.replace(microsecond=123000), "a" * 24))
    assert decode_cursor(token, ["datetime", "id"]) == (
        MOMENT.replace(microsecond=123000),
        "a" * 24,
    )
    assert decode_cursor(encode_cursor((None, "b" * 24)), ["datetime?", "id"]) == (None, "b" * 24)
    assert decode_cursor(None, ["str"]) is None
    for bad in ["", "!!", "x" * 2000, encode_cursor(("zz",)), encode_cursor((1, 2))]:
        with pytest.raises(BadRequest):
            decode_cursor(bad, ["datetime", "id"])


def test_timestamps_have_milliseconds_and_z() -> None:
    assert format_timestamp(MOMENT) == "2026-11-28T06:26:35.123Z"
    plus_two = MOMENT.astimezone(timezone(timedelta(hours=2)))
    assert format_timestamp(plus_two) == "2026-11-28T06:26:35.123Z"


def test_settings_from_env() -> None:
    settings = Settings.from_env({"MONGODB_URI": "mongodb://h:1/social_test?x=1"})
    assert settings.database == "social_test"
    assert settings.redis_url is None and settings.redis_key_prefix == "strangler:"
    assert database_from_uri("mongodb://h:1") == "social"
    assert Settings.from_env({"MODERN_CACHE_TTL": "0"}).cache_ttl == 0
    assert Settings.from_env({}).stale_seconds == 60
    assert Settings.from_env({"MODERN_STALE_SECONDS": "2.5"}).stale_seconds == 2.5
    with pytest.raises(SettingsError, match="MODERN_STALE_SECONDS"):
        Settings.from_env({"MODERN_STALE_SECONDS": "-1"})
    with pytest.raises(SettingsError):
        Settings.from_env({"MODERN_SLOW_QUERY_MS": "fast"})
    assert Settings.from_env({}).change_feed is True
    assert Settings.from_env({"MODERN_CHANGE_FEED": "off"}).change_feed is False
    with pytest.raises(SettingsError, match="MODERN_CHANGE_FEED"):
        Settings.from_env({"MODERN_CHANGE_FEED": "maybe"})


def test_field_selection() -> None:
    assert select(None, {"a"}) is None
    assert select("a, b", {"a", "b"}) == ["a", "b"]
    for bad in ["a,zzz", ",", ""]:
        with pytest.raises(ValidationFailed):
            select(bad, {"a", "b"})


def test_cache_codec_keeps_datetimes() -> None:
    value = {"at": MOMENT.replace(microsecond=123000), "items": [1, None, "x"]}
    assert loads(dumps(value)) == value
